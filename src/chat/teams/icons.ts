import { crc32, deflateSync } from 'node:zlib';

/**
 * The app package's two icons, drawn here so that the package needs no image files
 * (learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-package#app-icons):
 * a 192×192 colour icon, and a 32×32 outline icon that is white on a transparent background.
 * The mark is a slipway: a ramp rising to the right, under a chevron pointing up.
 */
export const ACCENT = { r: 0x1d, g: 0x35, b: 0x57 };

export function colorIcon(): Buffer {
  return png(192, 192, (x, y) => {
    const inside = mark(x / 192, y / 192);
    return inside ? [255, 255, 255, 255] : [ACCENT.r, ACCENT.g, ACCENT.b, 255];
  });
}

export function outlineIcon(): Buffer {
  // Anti-aliased by sampling each pixel 4×4 times: 32 pixels are few for a diagonal edge.
  return png(32, 32, (x, y) => {
    let hits = 0;
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        if (mark((x + (i + 0.5) / 4) / 32, (y + (j + 0.5) / 4) / 32)) hits++;
    return [255, 255, 255, Math.round((hits / 16) * 255)];
  });
}

/** The mark on a unit square (y grows downward). */
function mark(u: number, v: number): boolean {
  // The ramp: a band along the diagonal from the bottom left up to the right.
  const ramp = u > 0.15 && u < 0.85 && Math.abs(v - (0.85 - 0.5 * (u - 0.15))) < 0.055;
  // The chevron above it: two strokes meeting at the top.
  const dx = Math.abs(u - 0.5);
  const chevron = dx < 0.22 && Math.abs(v - (0.18 + dx)) < 0.055;
  return ramp || chevron;
}

type Rgba = [number, number, number, number];

/** An RGBA PNG (www.w3.org/TR/png-3): signature, IHDR, one zlib-compressed IDAT, IEND. */
export function png(width: number, height: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc(height * (1 + width * 4));
  let at = 0;
  for (let y = 0; y < height; y++) {
    raw[at++] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      for (const channel of pixel(x, y)) raw[at++] = channel;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
