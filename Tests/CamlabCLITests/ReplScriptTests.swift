import Foundation
import Testing

/// The REPL with stdin from a pipe, as a script or CI uses it: no prompt, no echo, no colour, and
/// an error stops the script with a non-zero status.
struct ReplScriptTests {
    static func environment() -> [String: String] {
        let scratch = NSTemporaryDirectory() + "camlab-script-\(UUID().uuidString)"
        return ["CAMLAB_HISTORY": scratch + ".history", "CAMLAB_PROGRESS": scratch + ".progress.json"]
    }

    @Test func commandsFromAPipeRunWithoutPromptOrColour() throws {
        let result = try CommandLine.run([], environment: Self.environment(), input: "state\ngradcam\nscore\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("image  shapes 2"))
        #expect(result.stdout.contains("Grad-CAM"))
        #expect(result.stdout.contains("(eq. 1)"))
        #expect(!result.stdout.contains("camlab>"))        // no prompt
        #expect(!result.stdout.contains("state\n"))        // no echo of the input
        #expect(!result.stdout.contains("\u{1B}"))         // no colour, no cursor movement
        #expect(result.stderr.isEmpty)
    }

    @Test func colourIsOffInAPipeEvenWithoutNoColor() throws {
        var environment = Self.environment()
        environment["NO_COLOR"] = ""
        environment["COLORTERM"] = "truecolor"
        let result = try CommandLine.run(["repl"], environment: environment, input: "cam\n")
        #expect(result.status == 0)
        #expect(!result.stdout.contains("\u{1B}"))
    }

    @Test func anErrorStopsTheScriptWithAStatus() throws {
        let result = try CommandLine.run([], environment: Self.environment(), input: "state\ngradcma\nscore\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("did you mean 'gradcam'"))
        #expect(result.stderr.split(separator: "\n").count == 1)   // one sentence
        #expect(!result.stdout.contains("(eq. 1)"))                // nothing after the error ran
    }

    @Test func helpAndQuestionMarkWork() throws {
        let result = try CommandLine.run([], environment: Self.environment(), input: "help\ngradcampp?\nquit\nstate\n")
        #expect(result.status == 0)
        #expect(result.stdout.contains("help CMD or CMD?"))
        #expect(result.stdout.contains("Grad-CAM++"))
        #expect(!result.stdout.contains("image  shapes"))   // quit stopped before `state`
    }

    @Test func stateCarriesFromCommandToCommand() throws {
        let script = "image pairs 4\nclass square\ngradcam\nstate\n"
        let result = try CommandLine.run([], environment: Self.environment(), input: script)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("class 1 square"))
        #expect(result.stdout.contains("image  pairs 4"))
        #expect(result.stdout.contains("[1] Grad-CAM"))
    }

    @Test func trainInTheReplSavesUnderHomeAndNeverOverAnotherModel() throws {
        let home = NSTemporaryDirectory() + "camlab-home-\(UUID().uuidString)"
        let models = home + "/.camlab/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try Data("another session's model".utf8).write(to: URL(fileURLWithPath: models + "/trained.safetensors"))
        var environment = Self.environment()
        environment["HOME"] = home                    // not the password database's home
        environment["CAMLAB_MODELS"] = ""
        environment["CAMLAB_HOME"] = ""
        let result = try CommandLine.run([], environment: environment, input: "train 1\nstate\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Saved to \(models)/trained-2.safetensors; it is now the current model"))
        #expect(result.stdout.contains("It replaces "))           // and says which model it replaces
        #expect(result.stdout.contains("model  \(models)/trained-2.safetensors"))
        #expect(try String(contentsOfFile: models + "/trained.safetensors", encoding: .utf8) == "another session's model")
    }
}
