import CFlotillaZlib

/// CRC-32 (zlib's, the same as gzip's) of a queue record, so a torn or damaged record is found on reading.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return UInt32(crc32(0, base.assumingMemoryBound(to: Bytef.self), UInt32(bytes.count)))
    }
}
