import FleetConsole
import ServiceLifecycle

/// A console started beside a Fleet Server, and how to stop it.
struct RunningConsole: Sendable {
    let console: FleetConsole
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Stops taking connections, lets open requests finish, and waits for the console to end.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
