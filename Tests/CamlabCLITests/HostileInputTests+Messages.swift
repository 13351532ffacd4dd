import Foundation
import Testing

/// Bad words and values get one sentence each, never a usage screen (issue #14).
extension HostileInputTests {
    var camArguments: [String] { ["cam", "gradcam", "--model", Self.model, "--image", Self.image] }

    /// Options with a fixed list of values say the list, and the closest value for a typo
    /// (they printed the top-level usage, exit 64).
    @Test func aBadChoiceIsOneSentence() throws {
        try expectOneSentence(camArguments + ["--fuse", "maxx"], mentioning: "--fuse must be mean or max, not 'maxx'; did you mean 'max'?")
        try expectOneSentence(camArguments + ["--target", "logits"], mentioning: "did you mean 'logit'?")
        try expectOneSentence(camArguments + ["--colormap", "magma"], mentioning: "--colormap must be jet or viridis")
        try expectOneSentence(["train", "--data", "x", "--arch", "y", "--epochs", "1", "--batch", "1", "--lr", "1", "--out", "o.safetensors",
                               "--optimizer", "adm"], mentioning: "did you mean 'adam'?")
        try expectOneSentence(["metrics", "--model", Self.model, "--data", "x", "--count", "0"], mentioning: "--count must be at least 1")
        try expectOneSentence(["check", "nosuch", "--model", Self.model], mentioning: "eq1, eq2, eq3")
        try expectOneSentence(["data", "make", "nosuch"], mentioning: "shapes, multi, pairs or scenes")
    }

    /// `--class -1` is a value, not an option that lacks one.
    @Test func aNegativeClassIsOutOfRange() throws {
        try expectOneSentence(camArguments + ["--class", "-1"], mentioning: "Class index -1 is out of range")
        try expectOneSentence(camArguments + ["--class", "7"], mentioning: "numbered 0 to 3")
    }

    @Test func anEmptyMethodListIsRefused() throws {
        try expectOneSentence(["metrics", "--model", Self.model, "--data", "x", "--methods", ""], mentioning: "--methods names no method")
    }

    @Test func aMissingLessonsFolderIsOneSentence() throws {
        let message = try expectOneSentence(["lesson", "1"], mentioning: "'/nonexistent-lessons'",
                                            environment: ["CAMLAB_LESSONS": "/nonexistent-lessons"])
        #expect(!message.contains("NSCocoaErrorDomain"))
    }

    /// A long typed word is echoed shortened; a long path keeps the message within bounds.
    @Test func echoedWordsAndMessagesAreBounded() throws {
        let long = String(repeating: "a", count: 10_000)
        let message = try expectOneSentence(camArguments + ["--class", long], mentioning: "…")
        #expect(message.count < 300, "\(message.count) characters")
        let path = "/nonexistent" + String(repeating: "/" + String(repeating: "d", count: 200), count: 15) + ".png"
        let bounded = try expectOneSentence(["predict", "--model", Self.model, "--image", path], mentioning: "nonexistent")
        #expect(bounded.count <= 1_010, "\(bounded.count) characters")
    }

    /// A 40,000-character title made a canvas 400,000 pixels wide and took half a minute.
    @Test func aHugeTitleIsRefusedAtOnce() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("t.png").path
        let started = Date()
        let result = try CommandLine.run(["figure", "overlay", "--model", Self.model, "--image", Self.image, "--out", out,
                                          "--title", String(repeating: "t", count: 40_000)])
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(result.status == 1 && result.stderr.contains("at most 200"), "\(result.stderr.prefix(300))")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Documents named on the command line are read from regular files only.
    @Test func aDeviceIsNoArchitecture() throws {
        try expectOneSentence(["train", "--data", "x", "--arch", "/dev/zero", "--epochs", "1", "--batch", "1", "--lr", "1e-3",
                               "--out", "/tmp/camlab-never.safetensors"], mentioning: "not a regular file")
        try expectOneSentence(["predict", "--model", Self.model, "--classes", "/dev/zero", "--image", Self.image],
                              mentioning: "not a regular file")
        try expectOneSentence(["predict", "--model", "/dev/zero", "--image", Self.image], mentioning: "not a regular file")
    }

    /// A model whose class scores are all 0: Ablation-CAM's (y − y_k) / y is 0/0 (pytorch-grad-cam
    /// returns NaN); camlab refuses in one sentence instead of printing `null` in `raw`.
    @Test func noMethodShowsNonFiniteValues() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try modelWithEveryWeight(0, in: folder)
        try expectOneSentence(["cam", "ablationcam", "--json", "--model", model, "--image", Self.image],
                              mentioning: "Ablation-CAM raw map contains NaN or infinite values")
        // The other methods have defined results on it (empty maps), and print no null.
        let gradcam = try CommandLine.run(["cam", "gradcam", "--json", "--model", model, "--image", Self.image])
        #expect(gradcam.status == 0 && !gradcam.stdout.contains("null"), "\(gradcam.stderr)")
    }
}

extension HostileInputTests {
    /// The fixture model with every weight set to `value`.
    func modelWithEveryWeight(_ value: Float, in folder: URL) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.model)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let pattern = withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
        for offset in stride(from: 8 + headerLength, to: bytes.count - 3, by: 4) {
            bytes.replaceSubrange(offset..<(offset + 4), with: pattern)
        }
        let path = folder.appendingPathComponent("weights-\(value).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
