enum ConsoleOpenAPI {
    static let document = "openapi: 3.0.3\n"
}
