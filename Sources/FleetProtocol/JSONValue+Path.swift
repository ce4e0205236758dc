
extension JSONValue {
    /// The value at a path of object keys; setting nil removes it, and setting creates the objects on the way.
    public subscript(path: [String]) -> JSONValue? {
        get {
            var current: JSONValue? = self
            for key in path { current = current?[key] }
            return current
        }
        set {
            guard let first = path.first else { return }
            if path.count == 1 {
                var object = objectValue ?? [:]
                object[first] = newValue
                self = .object(object)
                return
            }
            var child = self[first] ?? .object([:])
            child[Array(path.dropFirst())] = newValue
            if newValue == nil, child.objectValue?.isEmpty == true {
                var object = objectValue ?? [:]
                object[first] = nil
                self = .object(object)
            } else {
                self[first] = child
            }
        }
    }
}
