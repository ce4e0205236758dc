import Testing
@testable import flotilla

/// What `flotilla` hides from other users' `ps`: which bytes of which argument, for each way a secret is given.
@Suite(.timeLimit(.minutes(1))) struct ProcessArgumentsTests {
    /// The arguments as `ps` would show them once the ranges are overwritten.
    func hidden(_ arguments: [String]) -> [String] {
        var bytes = arguments.map { Array($0.utf8) }
        for range in ProcessArguments.secretRanges(arguments) {
            for offset in range.offset..<(range.offset + range.length) { bytes[range.index][offset] = UInt8(ascii: "*") }
        }
        return bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func tokensAreHiddenInBothFormsAndNothingElseIsTouched() {
        #expect(hidden(["flotilla", "install", "--enrollment-token=abc123", "--url", "https://fleet:8220"])
            == ["flotilla", "install", "--enrollment-token=******", "--url", "https://fleet:8220"])
        #expect(hidden(["flotilla", "server", "--fleet-server-service-token", "s3cret", "--replace-token", "r"])
            == ["flotilla", "server", "--fleet-server-service-token", "******", "--replace-token", "*"])
        // A flag at the end with no value, and a value that merely looks like a flag name, are left alone.
        #expect(hidden(["flotilla", "install", "--enrollment-token"]) == ["flotilla", "install", "--enrollment-token"])
        #expect(hidden(["flotilla", "certs", "--enrollment-tokens=x"]) == ["flotilla", "certs", "--enrollment-tokens=x"])
    }

    @Test func passwordsInURLsAndHeaderValuesAreHidden() {
        #expect(hidden(["flotilla", "server", "--fleet-server-es=postgres://fleet:pässwörd@db:5432/fleet"])
            == ["flotilla", "server", "--fleet-server-es=postgres://fleet:**********@db:5432/fleet"])
        #expect(hidden(["flotilla", "install", "--proxy-url", "http://user:pw@proxy:3128", "--url", "https://fleet:8220"])
            == ["flotilla", "install", "--proxy-url", "http://user:**@proxy:3128", "--url", "https://fleet:8220"])
        #expect(hidden(["flotilla", "install", "--header=Authorization=Bearer xyz", "--proxy-header", "X-Key=k"])
            == ["flotilla", "install", "--header=Authorization=**********", "--proxy-header", "X-Key=*"])
    }
}
