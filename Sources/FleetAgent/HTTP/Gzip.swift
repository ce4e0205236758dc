import CFlotillaZlib
import NIOCore

/// gzip for request bodies (`Content-Encoding: gzip`), and the reverse for tests and stand-ins.
public enum Gzip {
    /// Compresses `input` into a gzip member at `level` (1 fastest … 9 smallest).
    public static func compress(_ input: ByteBuffer, level: Int32 = 1) -> ByteBuffer {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of a bare zlib stream.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("zlib could not start a deflate stream")
        }
        defer { deflateEnd(&stream) }
        var input = input
        let bound = Int(deflateBound(&stream, UInt(input.readableBytes)))
        var output = ByteBuffer()
        output.reserveCapacity(bound)
        input.withUnsafeMutableReadableBytes { source in
            stream.next_in = source.bindMemory(to: Bytef.self).baseAddress
            stream.avail_in = UInt32(source.count)
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { target in
                stream.next_out = target.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = UInt32(target.count)
                // The bound from deflateBound is enough for one call to finish the stream.
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "zlib did not finish within deflateBound")
                return target.count - Int(stream.avail_out)
            }
        }
        return output
    }

    /// Decompresses a gzip body, or returns `nil` when it is not valid gzip or grows past `limit` bytes.
    public static func decompress(_ input: ByteBuffer, limit: Int = 256 << 20) -> ByteBuffer? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = input
        var output = ByteBuffer()
        var finished = false
        let ok: Bool = input.withUnsafeMutableReadableBytes { source in
            stream.next_in = source.bindMemory(to: Bytef.self).baseAddress
            stream.avail_in = UInt32(source.count)
            while !finished {
                guard output.readableBytes < limit else { return false }
                var result: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 << 10) { target in
                    stream.next_out = target.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = UInt32(target.count)
                    result = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                switch result {
                case Z_STREAM_END: finished = true
                case Z_OK: if stream.avail_in == 0 && stream.avail_out > 0 { return false }  // truncated input
                default: return false
                }
            }
            return true
        }
        return ok ? output : nil
    }
}
