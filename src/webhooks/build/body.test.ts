import { describe, expect, it } from 'vitest';
import { parseBody } from './body.js';

describe('build hook body parsing', () => {
  it('reads a JSON object, whatever the charset parameter', () => {
    const raw = '{"service":"web","image":"registry.test/web:1.0","type":"branch","target":"main"}';
    const expected = {
      service: 'web',
      image: 'registry.test/web:1.0',
      type: 'branch',
      target: 'main',
    };
    expect(parseBody('application/json', raw)).toEqual({ fields: expected });
    expect(parseBody('Application/JSON; charset=utf-8', raw)).toEqual({ fields: expected });
  });

  it('reads form fields, decoding them', () => {
    const raw = 'project=web&image=registry.test%2Fweb%3A3f2a9c1&type=branch&target=feature%2Fa+b';
    expect(parseBody('application/x-www-form-urlencoded', raw)).toEqual({
      fields: {
        project: 'web',
        image: 'registry.test/web:3f2a9c1',
        type: 'branch',
        target: 'feature/a b',
      },
    });
  });

  it('drops empty values and nulls, as unset CI variables', () => {
    expect(parseBody('application/x-www-form-urlencoded', 'service=web&commit=&url=')).toEqual({
      fields: { service: 'web' },
    });
    expect(parseBody('application/json', '{"service":"web","commit":null,"url":""}')).toEqual({
      fields: { service: 'web' },
    });
  });

  it('keeps a "__proto__" field as a field', () => {
    const parsed = parseBody('application/json', '{"__proto__":{"service":"web"}}');
    expect((parsed as { fields: Record<string, unknown> }).fields.service).toBeUndefined();
  });

  it('refuses malformed JSON with the parser reason', () => {
    const answer = parseBody('application/json', '{"service":"web",');
    expect(answer).toMatchObject({ refused: true, status: 400, error: 'malformed_json' });
    expect((answer as { message: string }).message).toMatch(/^The body is not valid JSON \(/);
  });

  it('refuses JSON that is not one object', () => {
    for (const raw of ['[]', '"web"', 'null', '42']) {
      expect(parseBody('application/json', raw)).toMatchObject({
        status: 400,
        error: 'malformed_json',
      });
    }
  });

  it('refuses a form field given twice instead of guessing which one counts', () => {
    const answer = parseBody('application/x-www-form-urlencoded', 'service=web&service=api');
    expect(answer).toMatchObject({
      status: 400,
      message: 'service is given more than once: send it once.',
    });
  });

  it('refuses other media types with 415, naming the two it reads', () => {
    for (const type of [undefined, 'text/plain', 'multipart/form-data; boundary=x']) {
      const answer = parseBody(type, 'service=web');
      expect(answer).toMatchObject({ status: 415, error: 'unsupported_media_type' });
      expect((answer as { message: string }).message).toContain(
        'application/json or application/x-www-form-urlencoded',
      );
    }
  });
});
