import CamlabLab
import Foundation
import Testing
@testable import CamlabREPL

/// A lab on the tests' reference model whose output is collected instead of printed.
final class RecordingLab {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = packageRoot.appendingPathComponent("Tests/CamlabMethodsTests/Fixtures/tiny32/model.safetensors").path

    let lab: Lab
    var output: [String] = []
    var errors: [String] = []

    init(progress: String = NSTemporaryDirectory() + "camlab-progress-\(UUID().uuidString).json") {
        let lessons = LessonPlayer(folder: Self.packageRoot.appendingPathComponent("Lessons").path, progressPath: progress)
        lab = Lab(state: LabState(modelPath: Self.model), terminal: Terminal(isInteractive: false, color: .none), lessons: lessons)
        lab.write = { [unowned self] in self.output.append($0) }
        lab.writeError = { [unowned self] in self.errors.append($0) }
    }

    @discardableResult
    func run(_ line: String) -> CommandOutput? {
        if case .succeeded(let output) = lab.execute(line) { return output }
        return nil
    }
}

/// Serialized: one test raises SIGINT, which any command running beside it would see.
@Suite(.serialized) struct LabTests {
    @Test func gradcamWorksFirstThingWithTheDefaults() throws {
        let recording = RecordingLab()
        let output = try #require(recording.run("gradcam"))
        #expect(output.text.contains("Grad-CAM"))
        #expect(output.values["class"] == .text("triangle"))   // shapes 2, the default image
        #expect(output.map?.count == 32 * 32)
        #expect(recording.errors.isEmpty)
    }

    @Test func resultsAreNumberedAndShownAgain() throws {
        let recording = RecordingLab()
        recording.run("cam")
        recording.run("gradcam")
        #expect(recording.lab.results.map(\.number) == [1, 2])
        let again = try #require(recording.run("$1"))
        #expect(again.text.contains("CAM ·") && again.text.contains("cam"))
        let diff = try #require(recording.run("diff"))
        guard case .number(let difference)? = diff.values["max_difference"] else { Issue.record("no max_difference"); return }
        #expect(difference < 1e-4)   // Grad-CAM equals CAM at the GAP layer
        #expect(recording.run("show 9") == nil)
        #expect(recording.errors.last?.contains("1…2") == true)
    }

    @Test func unknownCommandsGetASuggestionAndQuestionMarkIsHelp() throws {
        let recording = RecordingLab()
        #expect(recording.run("gradcma") == nil)
        #expect(recording.errors.last?.contains("did you mean 'gradcam'") == true)
        let help = try #require(recording.run("score?"))
        #expect(help.text.contains("eq. 1"))
        let list = try #require(recording.run("help"))
        #expect(list.text.contains("guided-gradcam") && list.text.contains("lesson"))
        #expect(list.text.contains("train") && list.text.contains("metrics") && list.text.contains("check"))
    }

    @Test func stateChangesAndAFailedCommandLeavesItAsItWas() throws {
        let recording = RecordingLab()
        recording.run("image pairs 4")
        recording.run("class square")
        recording.run("layer features.3")
        let before = recording.lab.state
        #expect(before == LabState(modelPath: RecordingLab.model, image: .dataset(.pairs, 4), classSpec: "square", layer: "features.3"))
        #expect(recording.run("cam") == nil)                  // CAM needs the GAP layer
        #expect(recording.run("image no-such-file.png") == nil)
        #expect(recording.run("class hexagon") == nil)
        #expect(recording.lab.state == before)
        let state = try #require(recording.run("state"))
        #expect(state.text.contains("pairs 4") && state.text.contains("square") && state.text.contains("features.3"))
    }

    @Test func ctrlCDuringACommandRestoresTheStateFromBeforeIt() throws {
        // A command that changes the state, then is interrupted by a real SIGINT through the
        // REPL's flag handler, as a Ctrl-C during training would.
        struct Interrupted: Command {
            let name = "halfway", usage = "halfway", summary = "changes the image, then meets Ctrl-C"
            let topic = CommandTopic.session
            func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
                lab.state.image = .dataset(.multi, 7)
                // To the process, as the terminal sends it; it arrives asynchronously, on some thread.
                kill(getpid(), SIGINT)
                for _ in 0..<1000 where !Interruption.isRequested { usleep(1000) }
                try Interruption.check()
                return CommandOutput("not reached")
            }
        }
        Interruption.install()
        let recording = RecordingLab()
        let lab = Lab(state: recording.lab.state, terminal: recording.lab.terminal, lessons: recording.lab.lessons,
                      commands: CommandTable(CommandTable.standard.commands + [Interrupted()]))
        var errors: [String] = []
        lab.writeError = { errors.append($0) }
        lab.write = { _ in }
        let before = lab.state
        lab.execute("halfway")
        #expect(lab.state == before)
        #expect(errors.last?.contains("Interrupted") == true)
        #expect(!Interruption.isRequested)   // the next command starts clean
    }

    @Test func everyProbeCommandPrintsNumbersThatAgree() throws {
        let recording = RecordingLab()
        let score = try #require(recording.run("score"))
        guard case .number(let difference)? = score.values["difference"], case .number(let logit)? = score.values["logit"] else {
            Issue.record("score computed no difference"); return
        }
        #expect(difference < 1e-4 && logit > 0)
        let grads = try #require(recording.run("grads"))
        guard case .number(let alpha)? = grads.values["alpha_vs_cam"] else { Issue.record("grads computed no alpha_vs_cam"); return }
        #expect(alpha < 1e-6)
        let gap = try #require(recording.run("gap"))
        #expect(gap.values["channels"] == .number(64))
        for command in ["features", "weights", "predict", "model", "image", "compare", "autodiff", "gradcheck softmax", "gradgrad"] {
            let output = try #require(recording.run(command), "\(command) failed: \(recording.errors.last ?? "")")
            #expect(!output.text.lowercased().contains("nan"), "\(command) printed NaN")
        }
    }

    @Test func everyMethodHasACommandAndRuns() throws {
        let recording = RecordingLab()
        for command in CommandTable.standard.commands.compactMap({ $0 as? MethodCommand }) {
            let output = try #require(recording.run(command.name), "\(command.name): \(recording.errors.last ?? "")")
            #expect(output.text.contains(command.method.title))
        }
        #expect(recording.run("guidedgradcam") != nil)   // the spelling without a dash
    }
}
