/// One event on its way from an input to an output: the document as it will be sent, the data stream it goes to,
/// and where it was read, so that a file's read position can advance once the output has acknowledged it.
public struct QueuedEvent: Sendable, Equatable {
    /// The data stream ("logs-nginx.access-default").
    public var index: String
    /// The registry key of what was read ("logs::8:1234"), or empty for events with no position (metrics).
    public var source: String
    /// Where reading resumes in `source` once this event is delivered: the byte after its line.
    public var offset: UInt64
    /// The JSON document.
    public var document: [UInt8]

    public init(index: String, source: String = "", offset: UInt64 = 0, document: [UInt8]) {
        self.index = index
        self.source = source
        self.offset = offset
        self.document = document
    }
}

extension QueuedEvent {
    /// The record's bytes in a segment: a version byte, the index and source with 16-bit lengths, the offset, then
    /// the document to the end of the record.
    func encode(into bytes: inout [UInt8]) {
        bytes.append(1)
        Self.appendShortString(index, to: &bytes)
        Self.appendShortString(source, to: &bytes)
        withUnsafeBytes(of: offset.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: document)
    }

    /// The index and source of the previous record read, reused while they repeat (they nearly always do), so
    /// reading a batch does not make two strings per event.
    struct Strings {
        var last: [([UInt8], String)] = []

        mutating func string(_ bytes: UnsafeRawBufferPointer.SubSequence) -> String {
            for (known, text) in last where known.elementsEqual(bytes) { return text }
            let text = String(decoding: bytes, as: UTF8.self)
            if last.count >= 8 { last.removeFirst() }
            last.append((Array(bytes), text))
            return text
        }
    }

    /// Reads a record written by `encode`, or `nil` when the bytes are not one.
    init?(record: UnsafeRawBufferPointer) {
        var strings = Strings()
        self.init(record: record, strings: &strings)
    }

    init?(record: UnsafeRawBufferPointer, strings: inout Strings) {
        var cursor = 0
        func short() -> String? {
            guard cursor + 2 <= record.count else { return nil }
            let length = Int(record[cursor]) | Int(record[cursor + 1]) << 8
            cursor += 2
            guard cursor + length <= record.count else { return nil }
            defer { cursor += length }
            return strings.string(record[cursor..<(cursor + length)])
        }
        guard record.count >= 1, record[0] == 1 else { return nil }
        cursor = 1
        guard let index = short(), let source = short(), cursor + 8 <= record.count else { return nil }
        var offset: UInt64 = 0
        for shift in 0..<8 { offset |= UInt64(record[cursor + shift]) << (8 * shift) }
        cursor += 8
        self.init(index: index, source: source, offset: offset, document: Array(record[cursor...]))
    }

    private static func appendShortString(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8.prefix(65_535))
        bytes.append(UInt8(utf8.count & 0xff))
        bytes.append(UInt8(utf8.count >> 8))
        bytes.append(contentsOf: utf8)
    }
}
