#if FLOTILLA_FUZZ
import Foundation
import FuzzTargets

/// libFuzzer's entry when this binary is built with `-sanitize=fuzzer`: `LLVMFuzzerRunDriver` runs the fuzzing
/// loop with our own `main`, so one binary holds every target and replays corpora without libFuzzer too.
enum FuzzDriver {
    nonisolated(unsafe) static var target: (any FuzzTarget)?

    static func run(_ arguments: [String]) -> Int32 {
        var argc = Int32(arguments.count)
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in fuzzOneInput(bytes, count) }
        }
    }
}

/// libFuzzer's archive brings its own `main`, which names this function; ours (SwiftPM's `main` alias of this
/// module's entry point) is the one that runs, and hands `LLVMFuzzerRunDriver` the same target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = count == 0 ? Data() : Data(bytes: bytes!, count: count)
    _ = FuzzDriver.target?.run(data)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif
