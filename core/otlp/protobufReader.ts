import { MalformedRequestError } from './limits.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

const TWO_POW_32 = 4294967296;

/**
 * A cursor over protobuf bytes, bounded to [pos, end). Only what OTLP traces need, written for speed:
 * no object per field, nested messages are read by narrowing `end` rather than copying.
 */
export class ProtobufReader {
  pos: number;
  end: number;
  /** Set by readVarint64 (low and high 32 bits, unsigned). */
  lo = 0;
  hi = 0;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Field number and wire type, packed as protobuf writes them. */
  readTag(): number {
    return this.readVarint32();
  }

  readVarint32(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new MalformedRequestError('protobuf: truncated varint');
      const byte = buf[this.pos++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new MalformedRequestError('protobuf: varint longer than 10 bytes');
  }

  /** Reads a 64-bit varint into `lo` and `hi`. */
  readVarint64(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new MalformedRequestError('protobuf: truncated varint');
      const byte = buf[this.pos++]!;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if ((byte & 0x80) === 0) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new MalformedRequestError('protobuf: varint longer than 10 bytes');
  }

  /** A signed int64 varint as a decimal string, exact over the whole range. */
  readInt64String(): string {
    this.readVarint64();
    if (this.hi < 0x200000) return String(this.hi * TWO_POW_32 + this.lo);
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo)).toString();
  }

  readFixed32(): number {
    if (this.pos + 4 > this.end) throw new MalformedRequestError('protobuf: truncated fixed32');
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  readFixed64(): bigint {
    if (this.pos + 8 > this.end) throw new MalformedRequestError('protobuf: truncated fixed64');
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  readDouble(): number {
    if (this.pos + 8 > this.end) throw new MalformedRequestError('protobuf: truncated double');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and returns the end offset of the delimited bytes that follow. */
  readLengthDelimitedEnd(): number {
    const length = this.readVarint32();
    const end = this.pos + length;
    if (end > this.end) throw new MalformedRequestError('protobuf: length-delimited field runs past its message');
    return end;
  }

  readString(): string {
    const end = this.readLengthDelimitedEnd();
    const value = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return value;
  }

  readHex(): string {
    const end = this.readLengthDelimitedEnd();
    const value = this.buf.toString('hex', this.pos, end);
    this.pos = end;
    return value;
  }

  readBase64(): string {
    const end = this.readLengthDelimitedEnd();
    const value = this.buf.toString('base64', this.pos, end);
    this.pos = end;
    return value;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.readVarint64();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.pos = this.readLengthDelimitedEnd();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new MalformedRequestError(`protobuf: unsupported wire type ${wireType}`);
    }
  }

  private advance(bytes: number): void {
    if (this.pos + bytes > this.end) throw new MalformedRequestError('protobuf: truncated field');
    this.pos += bytes;
  }

  /** Asserts the wire type a field must have; a mismatch means the body is not this message. */
  expect(tag: number, wireType: number): void {
    if ((tag & 7) !== wireType) {
      throw new MalformedRequestError(`protobuf: field ${tag >>> 3} has wire type ${tag & 7}, expected ${wireType}`);
    }
  }
}
