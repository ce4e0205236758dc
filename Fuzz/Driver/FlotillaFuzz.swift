import Foundation
import FuzzTargets

/// `flotilla-fuzz replay TARGET FILE...` runs each file through a fuzz target and prints what it made of it: how
/// the corpus tests replay the seeds and every crash found. In the build `scripts/fuzz.sh` makes (with
/// `-sanitize=fuzzer -DFLOTILLA_FUZZ`), `flotilla-fuzz run TARGET LIBFUZZER-ARGS...` hands the target to libFuzzer.
///
/// Written by hand rather than with swift-argument-parser: libFuzzer parses its own `-flag=value` arguments,
/// which are passed through untouched.
@main
struct FlotillaFuzz {
    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count >= 3, let target = FuzzTargets.named(arguments[2]) else {
            let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: flotilla-fuzz replay|run TARGET ARGS... (targets: \(names))\n".utf8))
            exit(2)
        }
        switch arguments[1] {
        case "replay":
            for path in arguments.dropFirst(3) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("\(path) cannot be read\n".utf8))
                    exit(2)
                }
                print("\(path): \(target.run(data))")
            }
        case "run":
            #if FLOTILLA_FUZZ
            FuzzDriver.target = target
            arguments.removeSubrange(1...2)
            exit(FuzzDriver.run(arguments))
            #else
            FileHandle.standardError.write(Data("this build has no libFuzzer: build it with scripts/fuzz.sh\n".utf8))
            exit(2)
            #endif
        default:
            FileHandle.standardError.write(Data("unknown mode \(arguments[1]): use replay or run\n".utf8))
            exit(2)
        }
    }
}
