import Foundation

/// Hides secrets given on the command line from other users of the machine, who read every process's arguments in
/// `/proc/PID/cmdline` (what `ps` shows). Tokens given with `--enrollment-token` (the seed's install command) or
/// `--fleet-server-service-token`, and the password in a URL's user part, are overwritten in place with `*` once
/// the arguments are copied for parsing, as `mysql -p` and PostgreSQL's tools do. A brief window remains between the
/// exec and this call, which is why the `-path` forms are still the ones to prefer.
enum ProcessArguments {
    /// Flags whose whole value is a secret.
    static let secretFlags: Set<String> = ["--enrollment-token", "--fleet-server-service-token"]
    /// Flags whose value is a URL that may carry a password.
    static let urlFlags: Set<String> = ["--fleet-server-es", "--proxy-url", "--url"]

    /// The byte ranges (value start, length) of `arguments` to overwrite, by argument index.
    static func secretRanges(_ arguments: [String]) -> [(index: Int, offset: Int, length: Int)] {
        var ranges: [(Int, Int, Int)] = []
        func add(_ index: Int, valueOffset: Int, value: Substring, wholeSecret: Bool) {
            if wholeSecret {
                ranges.append((index, valueOffset, value.utf8.count))
            } else if let password = passwordRange(in: value) {
                ranges.append((index, valueOffset + password.offset, password.length))
            }
        }
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            let secret = secretFlags.contains(name), url = urlFlags.contains(name)
            if secret || url {
                if let equals = argument.firstIndex(of: "=") {
                    let value = argument[argument.index(after: equals)...]
                    add(index, valueOffset: argument.utf8.distance(from: argument.startIndex, to: value.startIndex), value: value, wholeSecret: secret)
                } else if index + 1 < arguments.count {
                    index += 1
                    add(index, valueOffset: 0, value: arguments[index][...], wholeSecret: secret)
                }
            }
            index += 1
        }
        return ranges
    }

    /// Where the password of `scheme://user:password@host` is, in UTF-8 bytes.
    static func passwordRange(in url: Substring) -> (offset: Int, length: Int)? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
        let start = authority.index(after: colon)
        guard start < at else { return nil }
        return (url.utf8.distance(from: url.startIndex, to: start), url.utf8.distance(from: start, to: at))
    }

    /// Overwrites the secrets in this process's own argument memory; `CommandLine.arguments` keeps the originals.
    static func hideSecrets() {
        let arguments = CommandLine.arguments
        for range in secretRanges(arguments) {
            guard let pointer = CommandLine.unsafeArgv[range.index] else { continue }
            let raw = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self)
            for offset in range.offset..<(range.offset + range.length) { raw[offset] = UInt8(ascii: "*") }
        }
    }
}
