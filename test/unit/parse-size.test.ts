/** parseSize: the configuration's sizes (server.bodyLimit, uploadLimit) in bytes, as express reads them. */
import bytes from 'bytes';
import { parseSize } from '../../src/http/body-stream';

describe('parseSize', () => {
  it.each([
    ['7b', 7],
    ['512kb', 512 * 1024],
    ['100mb', 100 * 1024 * 1024],
    ['0b', 0],
  ])('reads %s as %d bytes, what express reads of it', (text, expected) => {
    expect(parseSize(text)).toBe(expected);
    expect(bytes.parse(text)).toBe(expected);
  });

  it.each(['1.5mb', '1gb', '100', 'MB', '10 mb', '10MB', '', '-1kb'])(
    'refuses %p, as the configuration schema does',
    (text) => {
      expect(() => parseSize(text)).toThrow(`not a size: ${text}`);
    },
  );
});
