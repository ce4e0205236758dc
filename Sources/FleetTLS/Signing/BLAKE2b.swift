/// BLAKE2b-512 (RFC 7693), the hash minisign signs in its default "prehashed" signatures.
///
/// swift-crypto has no BLAKE2, and minisign's format fixes the hash, so it is written here: one compression function
/// over 128-byte blocks, fed in pieces so that a large agent binary is hashed without being read whole.
public struct BLAKE2b: Sendable {
    /// The digest's length in bytes: minisign uses the full 64.
    public static let digestLength = 64

    private static let iv: [UInt64] = [
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
    ]

    private static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private var state: [UInt64]
    /// Bytes not yet compressed. The last block is compressed only at `finalize`, flagged as the last.
    private var buffer: [UInt8] = []
    private var counter: UInt64 = 0

    /// A hash with no key, 64 bytes long.
    public init() {
        state = Self.iv
        state[0] ^= 0x0101_0000 ^ UInt64(Self.digestLength)
    }

    /// Feeds `bytes` into the hash.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        var rest = Array(bytes)[...]
        while !rest.isEmpty {
            if buffer.count == 128 {
                counter &+= 128
                compress(buffer, last: false)
                buffer.removeAll(keepingCapacity: true)
            }
            let taken = rest.prefix(128 - buffer.count)
            buffer.append(contentsOf: taken)
            rest = rest.dropFirst(taken.count)
        }
    }

    /// The digest of everything fed so far.
    public mutating func finalize() -> [UInt8] {
        counter &+= UInt64(buffer.count)
        compress(buffer + [UInt8](repeating: 0, count: 128 - buffer.count), last: true)
        return state.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = BLAKE2b()
        hasher.update(bytes)
        return hasher.finalize()
    }

    private mutating func compress(_ block: [UInt8], last: Bool) {
        var m = [UInt64](repeating: 0, count: 16)
        block.withUnsafeBytes { raw in
            for i in 0..<16 { m[i] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        }
        var v = state + Self.iv
        v[12] ^= counter
        if last { v[14] = ~v[14] }
        v.withUnsafeMutableBufferPointer { v in
            m.withUnsafeBufferPointer { m in
                Self.sigma.withUnsafeBufferPointer { sigma in
                    for round in 0..<12 {
                        let s = sigma[round % 10]
                        Self.mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]])
                        Self.mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]])
                        Self.mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]])
                        Self.mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]])
                        Self.mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]])
                        Self.mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]])
                        Self.mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]])
                        Self.mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]])
                    }
                }
            }
        }
        for i in 0..<8 { state[i] ^= v[i] ^ v[i + 8] }
    }

    /// The function G of RFC 7693, section 3.1.
    @inline(__always)
    private static func mix(
        _ v: UnsafeMutableBufferPointer<UInt64>, _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64
    ) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotate(v[d] ^ v[a], 32)
        v[c] = v[c] &+ v[d]
        v[b] = rotate(v[b] ^ v[c], 24)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotate(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotate(v[b] ^ v[c], 63)
    }

    @inline(__always)
    private static func rotate(_ x: UInt64, _ n: UInt64) -> UInt64 { (x >> n) | (x << (64 - n)) }
}
