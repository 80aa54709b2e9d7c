import { captureBody } from '../../../shared/capture/body';

describe('captureBody', () => {
  it('keeps a JSON body as JSON', () => {
    expect(captureBody({ body: '{"a":[1,2]}', contentType: 'application/json' }, 1024)).toEqual({
      body: { a: [1, 2] },
      transfer_encoding: 'json',
    });
    expect(
      captureBody({ body: '{"a":1}', contentType: 'application/vnd.api+json; charset=utf-8' }, 1024).transfer_encoding,
    ).toBe('json');
  });

  it('parses JSON-looking text when there is no content type, and keeps bad JSON as text', () => {
    expect(captureBody({ body: '[1]' }, 1024)).toEqual({ body: [1], transfer_encoding: 'json' });
    expect(captureBody({ body: '{oops', contentType: 'application/json' }, 1024)).toEqual({
      body: '{oops',
      transfer_encoding: 'text',
    });
    expect(captureBody({ body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' }, 1024)).toEqual({
      body: 'a=1&b=2',
      transfer_encoding: 'text',
    });
  });

  it('decodes base64 text and JSON, keeps binary as base64', () => {
    const json = Buffer.from('{"ok":true}').toString('base64');
    expect(captureBody({ body: json, isBase64Encoded: true, contentType: 'application/json' }, 1024)).toEqual({
      body: { ok: true },
      transfer_encoding: 'json',
    });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]).toString('base64');
    expect(captureBody({ body: png, isBase64Encoded: true, contentType: 'image/png' }, 1024)).toEqual({
      body: png,
      transfer_encoding: 'base64',
    });
    // No content type: valid UTF-8 is text, anything else binary.
    expect(captureBody({ body: Buffer.from('plain').toString('base64'), isBase64Encoded: true }, 1024)).toEqual({
      body: 'plain',
      transfer_encoding: 'text',
    });
    expect(captureBody({ body: png, isBase64Encoded: true }, 1024).transfer_encoding).toBe('base64');
  });

  it('cuts an oversized body at the cap, on a character boundary, and flags it', () => {
    const text = 'é'.repeat(10); // 20 bytes
    expect(captureBody({ body: text, contentType: 'text/plain' }, 5)).toEqual({
      body: 'éé',
      transfer_encoding: 'text',
      body_truncated: true,
      body_size: 20,
    });
    // Oversized JSON cannot stay JSON.
    expect(captureBody({ body: '{"a":"0123456789"}', contentType: 'application/json' }, 8)).toMatchObject({
      body: '{"a":"01',
      transfer_encoding: 'text',
      body_truncated: true,
    });
    const binary = Buffer.alloc(100, 0xff);
    expect(
      captureBody(
        { body: binary.toString('base64'), isBase64Encoded: true, contentType: 'application/octet-stream' },
        10,
      ),
    ).toEqual({
      body: binary.subarray(0, 10).toString('base64'),
      transfer_encoding: 'base64',
      body_truncated: true,
      body_size: 100,
    });
  });

  it('has nothing to say about a missing or empty body', () => {
    expect(captureBody({ body: undefined }, 10)).toEqual({});
    expect(captureBody({ body: null }, 10)).toEqual({});
    expect(captureBody({ body: '' }, 10)).toEqual({});
  });
});
