import Foundation
import Testing

/// Results written to a full device are an error, not silently lost (issue #14): exit status 1
/// and one sentence on stderr, for every command that prints results and for a script.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full"))
struct OutputFailureTests {
    func expectFailure(_ arguments: [String], input: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let environment = ["CAMLAB_HISTORY": NSTemporaryDirectory() + "camlab-full-\(UUID().uuidString).history"]
        let result = try CommandLine.run(arguments, environment: environment, input: input,
                                         standardOutput: try #require(FileHandle(forWritingAtPath: "/dev/full")))
        let (status, message) = (result.status, result.stderr)
        #expect(status == 1, "\(arguments): exit \(status), \(message)", sourceLocation: sourceLocation)
        let lines = message.split(separator: "\n")
        #expect(lines.count == 1 && message.lowercased().contains("cannot write to standard output: the device is full"),
                "\(arguments): \(message.prefix(500))", sourceLocation: sourceLocation)
    }

    @Test func everyCommandThatPrintsFails() throws {
        let model = HostileInputTests.model, image = HostileInputTests.image
        let fixtures = TrainingFixtures.shared
        let scratch = fixtures.path("full")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try expectFailure(["--help"])
        try expectFailure(["cam", "--help"])
        try expectFailure(["--version"])
        try expectFailure(["predict", "--model", model, "--image", image])
        try expectFailure(["cam", "gradcam", "--json", "--model", model, "--image", image])
        try expectFailure(["eval", "--json", "--model", model, "--data", fixtures.shapes32 + "/test"])
        try expectFailure(["check", "eq1", "--model", model, "--image", image])
        try expectFailure(["metrics", "--model", model, "--data", fixtures.shapes32, "--count", "2", "--methods", "gradcam"])
        try expectFailure(["data", "make", "shapes", "--count", "20", "--out", scratch + "/data"])
        try expectFailure(["figures", "--model", model, "--out", scratch + "/figures"])
        try expectFailure(["train", "--data", fixtures.shapes32 + "/train", "--arch", fixtures.tinyArchitecture, "--epochs", "1",
                           "--batch", "64", "--lr", "1e-3", "--out", scratch + "/model.safetensors"])
    }

    /// A script stops at the first output it could not write.
    @Test func aScriptStopsAtTheFailedWrite() throws {
        try expectFailure([], input: "state\ngradcam\n")
        try expectFailure(["repl"], input: "predict\nquit\n")
    }
}
