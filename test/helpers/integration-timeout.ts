// `testTimeout` is not a per-project option in jest; real servers need more than 5 s.
jest.setTimeout(120_000);
