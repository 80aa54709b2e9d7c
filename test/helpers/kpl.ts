import { aggregate } from 'aws-kinesis-agg';

/** User records packed into one Kinesis record by the library's own KPL aggregator (the bytes the KPL puts). */
export const kplAggregate = (records: { partitionKey: string; data: Buffer | string }[]): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const encoded: Buffer[] = [];
    aggregate(
      records.map((record) => ({ partitionKey: record.partitionKey, data: Buffer.from(record.data) })),
      (record, done) => {
        encoded.push(record.data);
        done();
      },
      () => {
        const [only] = encoded;
        if (only !== undefined && encoded.length === 1) resolve(only);
        else reject(new Error(`expected one aggregated record, got ${encoded.length}`));
      },
      (error) => reject(error),
    );
  });
