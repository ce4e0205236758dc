import Foundation

/// Writes event documents as JSON bytes directly: events are made by the hundred thousand a second, where
/// `JSONEncoder` would cost more than reading the file.
public struct EventJSON: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends raw JSON text (a key with its colon, punctuation, a pre-made fragment).
    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func raw(_ fragment: [UInt8]) {
        bytes.append(contentsOf: fragment)
    }

    /// Appends `text` as a JSON string, quoted and escaped.
    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends UTF-8 bytes as a JSON string; invalid UTF-8 is replaced so the document stays valid.
    public mutating func string(utf8: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        var clean = true
        for byte in utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5c || byte >= 0x80 {
            clean = false
            break
        }
        if clean {
            bytes.append(contentsOf: utf8)
        } else {
            let text = String(decoding: utf8, as: UTF8.self)
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": bytes.append(contentsOf: [0x5c, 0x22])
                case "\\": bytes.append(contentsOf: [0x5c, 0x5c])
                case "\n": bytes.append(contentsOf: [0x5c, UInt8(ascii: "n")])
                case "\r": bytes.append(contentsOf: [0x5c, UInt8(ascii: "r")])
                case "\t": bytes.append(contentsOf: [0x5c, UInt8(ascii: "t")])
                case _ where scalar.value < 0x20:
                    bytes.append(contentsOf: Array(String(format: "\\u%04x", scalar.value).utf8))
                default:
                    bytes.append(contentsOf: Array(String(scalar).utf8))
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func number(_ value: UInt64) {
        bytes.append(contentsOf: Array(String(value).utf8))
    }

    public mutating func number(_ value: Double) {
        guard value.isFinite else { bytes.append(contentsOf: Array("null".utf8)); return }
        bytes.append(contentsOf: Array(String(value).utf8))
    }

    /// A JSON object of `fields` (already JSON values) for fixed parts built once per input.
    public static func fragment(_ value: Any) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])).map { Array($0) } ?? Array("{}".utf8)
    }
}
