import Foundation
import Testing

/// `camlab train` never loses the model a person already had (issue #14): a bad output path is
/// said before any epoch, a diverging run and an early Ctrl-C leave the old file as it was (a
/// later Ctrl-C: TrainCommandTests).
struct TrainingSafetyTests {
    let fixtures = TrainingFixtures.shared

    func train(_ out: String, epochs: Int = 1, batch: Int = 16, lr: String = "1e-3", architecture: String? = nil,
               extra: [String] = []) -> [String] {
        ["train", "--data", fixtures.shapes32 + "/train", "--arch", architecture ?? fixtures.tinyArchitecture, "--epochs", "\(epochs)",
         "--batch", "\(batch)", "--lr", lr, "--seed", "4", "--out", out] + extra
    }

    /// An existing model file to be replaced (the tests' reference model).
    func existingModel() throws -> (path: String, bytes: Data) {
        let path = fixtures.path("existing.safetensors")
        try FileManager.default.copyItem(atPath: HostileInputTests.model, toPath: path)
        return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func expectRefusedBeforeTraining(_ out: String, mentioning phrase: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CommandLine.run(train(out, epochs: 50))
        #expect(result.status == 1, "\(out): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "an epoch ran: \(result.stdout.prefix(200))", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(phrase), "\(result.stderr)",
                sourceLocation: sourceLocation)
    }

    @Test func aBadOutputPathIsRefusedBeforeAnyEpoch() throws {
        try expectRefusedBeforeTraining(fixtures.folder, mentioning: "it is a directory")
        try expectRefusedBeforeTraining(fixtures.folder + "/no-such-folder/model.safetensors", mentioning: "does not exist")
        try expectRefusedBeforeTraining("/proc/camlab-model.safetensors", mentioning: "cannot create a file in '/proc'")
        if geteuid() != 0 {   // root writes into read-only folders
            let readOnly = fixtures.path("read-only")
            try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
            chmod(readOnly, 0o555)
            defer { chmod(readOnly, 0o755) }
            try expectRefusedBeforeTraining(readOnly + "/model.safetensors", mentioning: "does not allow new files")
        }
    }

    /// A learning rate of 1e30 stops at the first non-finite loss or parameter, in one sentence,
    /// and the model file is not touched.
    @Test func aDivergingRunKeepsTheOldFile() throws {
        let (path, bytes) = try existingModel()
        for arguments in [train(path, epochs: 3, lr: "1e30"), train(path, epochs: 1, lr: "3e38", extra: ["--optimizer", "sgd"])] {
            let result = try CommandLine.run(arguments)
            #expect(result.status == 1)
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!message.contains("\n") && message.contains("became NaN or infinite") && message.contains("nothing was saved to \(path)"),
                    "\(message)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        }
    }

    /// The REPL's `train` stops the same way and saves nothing; the current model stays.
    @Test func aDivergingReplTrainingSavesNothing() throws {
        let models = fixtures.path("models")
        let result = try CommandLine.run([], environment: ["CAMLAB_MODELS": models], input: "train 1 --lr 1e30\nstate\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("became NaN or infinite") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: models + "/trained.safetensors"))
    }

    /// Starts a training run, waits until `ready` says so, then sends SIGINT.
    func interrupt(_ arguments: [String], when ready: (_ epochLines: Int, _ elapsed: TimeInterval) -> Bool) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = CommandLine.executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        final class Box: @unchecked Sendable { let lock = NSLock(); var data = Data() }
        let printed = Box()
        out.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            printed.lock.lock(); printed.data.append(chunk); printed.lock.unlock()
        }
        let started = Date()
        try process.run()
        while process.isRunning {
            printed.lock.lock(); let lines = printed.data.filter { $0 == UInt8(ascii: "\n") }.count; printed.lock.unlock()
            if ready(lines, Date().timeIntervalSince(started)) { break }
            usleep(10_000)
        }
        process.interrupt()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        printed.lock.lock(); defer { printed.lock.unlock() }
        return (process.terminationStatus, String(decoding: printed.data, as: UTF8.self), message)
    }

    /// Ctrl-C half a second in, before the first epoch is complete, replaces nothing.
    @Test func anEarlyCtrlCKeepsTheOldFile() throws {
        let (path, bytes) = try existingModel()
        // 128 channels at 32×32: an epoch of the 128 images is some 60 GFLOP, seconds on two cores.
        let wide = fixtures.path("wide.json")
        try #"""
        {"input": [3, 32, 32], "mean": [0.2, 0.2, 0.2], "std": [0.3, 0.3, 0.3], "classes": ["circle", "square", "triangle", "cross"],
         "layers": [{"name": "conv1", "type": "conv2d", "in": 3, "out": 128, "kernel": 3, "stride": 1, "padding": 1},
                    {"name": "relu1", "type": "relu"},
                    {"name": "conv2", "type": "conv2d", "in": 128, "out": 128, "kernel": 3, "stride": 1, "padding": 1},
                    {"name": "relu2", "type": "relu"}, {"name": "gap", "type": "global_avg_pool"},
                    {"name": "fc", "type": "linear", "in": 128, "out": 4}],
         "target_layer": "relu2"}
        """#.write(toFile: wide, atomically: true, encoding: .utf8)
        let result = try interrupt(train(path, epochs: 50, batch: 8, architecture: wide)) { lines, elapsed in lines > 0 || elapsed > 0.5 }
        #expect(result.status == 130, "\(result.stderr)")
        if result.stdout.isEmpty {
            #expect(result.stderr.contains("nothing was saved and \(path) is as it was"), "\(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        } else {
            // A fast machine finished an epoch first: then its model is what was saved.
            #expect(result.stderr.contains("the last complete one"), "\(result.stderr)")
        }
    }
}
