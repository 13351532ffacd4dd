import Foundation

/// Runs the built `camlab` executable, as a user would, and captures what it prints.
struct CommandLine {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `camlab` binary beside the test bundle (same build configuration).
    static let executable: URL = {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("camlab")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        fatalError("the camlab executable was not found next to the tests; build it first")
    }()

    /// The package root, for fixtures shared with other test targets.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs camlab; with `standardOutput` (a file such as /dev/full) its stdout goes there and
    /// `Result.stdout` is empty.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil,
                    in directory: URL? = nil, standardOutput: FileHandle? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = standardOutput ?? out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes before waiting, so a large output cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            if standardOutput == nil { outBox.data = out.fileHandleForReading.readDataToEndOfFile() }
            group.leave()
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
