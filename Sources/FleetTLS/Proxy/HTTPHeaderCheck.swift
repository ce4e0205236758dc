/// Refuses header names and values that would end a header early: a CR or LF in a value from a flag or a policy
/// would let it write headers, or a whole request, of its own.
public enum HTTPHeaderCheck {
    /// - Parameters:
    ///   - headers: the headers as given.
    ///   - field: where they were given ("--header", "outputs.default.headers"), named in the sentence.
    public static func validate(_ headers: [String: String], field: String) throws(FlotillaError) {
        for (name, value) in headers {
            let tokenCharacters = name.unicodeScalars.allSatisfy { scalar in
                scalar.value > 32 && scalar.value < 127 && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains(scalar)
            }
            guard !name.isEmpty, tokenCharacters else {
                throw FlotillaError("The header name \"\(name)\" in \(field) is not a valid HTTP header name", hint: "use letters, digits and dashes")
            }
            if value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) || value.unicodeScalars.contains(where: { $0.value == 0 }) {
                throw FlotillaError("The value of header \(name) in \(field) contains a line break", hint: "give the value on one line")
            }
        }
    }
}
