import Foundation

/// Hides secrets given on the command line from other users of the machine, who read every process's arguments in
/// `/proc/PID/cmdline` (what `ps` shows). Tokens given with `--enrollment-token` (the seed's install command),
/// `--fleet-server-service-token` or `--replace-token`, header values, and the password in a URL's user part, are
/// overwritten in place with `*` once the arguments are copied for parsing, as `mysql -p` and PostgreSQL's tools
/// do. A brief window remains between the exec and this call, which is why the `-path` forms are still the ones to
/// prefer.
enum ProcessArguments {
    /// Flags whose whole value is a secret.
    static let secretFlags: Set<String> = ["--enrollment-token", "--fleet-server-service-token", "--replace-token"]
    /// Flags whose value is a URL that may carry a password.
    static let urlFlags: Set<String> = ["--fleet-server-es", "--proxy-url", "--url"]
    /// Flags whose value is `Name=Value`, where the value may be a credential (`Authorization=...`).
    static let headerFlags: Set<String> = ["--header", "--proxy-header"]

    enum Kind { case secret, url, header }

    static func kind(of flag: String) -> Kind? {
        if secretFlags.contains(flag) { return .secret }
        if urlFlags.contains(flag) { return .url }
        return headerFlags.contains(flag) ? .header : nil
    }

    /// The byte ranges (value start, length) of `arguments` to overwrite, by argument index.
    static func secretRanges(_ arguments: [String]) -> [(index: Int, offset: Int, length: Int)] {
        var ranges: [(index: Int, offset: Int, length: Int)] = []
        func add(_ index: Int, valueOffset: Int, value: Substring, kind: Kind) {
            switch kind {
            case .secret:
                ranges.append((index, valueOffset, value.utf8.count))
            case .url:
                if let password = passwordRange(in: value) {
                    ranges.append((index, valueOffset + password.offset, password.length))
                }
            case .header:
                if let equals = value.firstIndex(of: "=") {
                    let start = value.index(after: equals)
                    let offset = valueOffset + value.utf8.distance(from: value.startIndex, to: start)
                    ranges.append((index, offset, value[start...].utf8.count))
                }
            }
        }
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if let kind = kind(of: name) {
                if let equals = argument.firstIndex(of: "=") {
                    let value = argument[argument.index(after: equals)...]
                    let offset = argument.utf8.distance(from: argument.startIndex, to: value.startIndex)
                    add(index, valueOffset: offset, value: value, kind: kind)
                } else if index + 1 < arguments.count {
                    index += 1
                    add(index, valueOffset: 0, value: arguments[index][...], kind: kind)
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
            // The ranges come from decoded text; an argument that is not valid UTF-8 may be shorter in bytes, and
            // nothing past its own end may be written.
            let end = min(range.offset + range.length, strlen(pointer))
            guard range.offset < end else { continue }
            let raw = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self)
            for offset in range.offset..<end { raw[offset] = UInt8(ascii: "*") }
        }
    }
}
