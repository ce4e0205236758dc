import Foundation

/// A URL as it may appear in a message: any password replaced. A URL that does not parse loses everything
/// between its scheme and its last '@', where credentials would be.
public func redactedURL(_ url: String) -> String {
    if var components = URLComponents(string: url) {
        guard components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "the URL"
    }
    guard let at = url.lastIndex(of: "@") else { return url }
    let scheme = url.range(of: "://").map { String(url[..<$0.upperBound]) } ?? ""
    return scheme + "***" + url[at...]
}
