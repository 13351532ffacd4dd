import CamlabCore
import CamlabFigures
import CamlabImaging
import CamlabLab
import CamlabMethods
import CamlabNN
import Foundation
import Testing
@testable import CamlabREPL

/// The bugs a class meets: files in the wrong place, state lost between sessions, a class or a
/// model carried over without a word, maps whose brightness hides their magnitude.
@Suite(.serialized) struct ClassroomTests {
    static func scratch(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "camlab-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func filesGoUnderTheLearnersHomeAndNeverOverAnotherSessionsModel() throws {
        #expect(CamlabHome.folder(environment: ["HOME": "/home/ada"]) == "/home/ada/.camlab")
        #expect(CamlabHome.folder(environment: ["HOME": "/home/ada", "CAMLAB_HOME": "/srv/lab/ada"]) == "/srv/lab/ada")
        #expect(CamlabHome.modelsFolder(environment: ["HOME": "/home/ada"]) == "/home/ada/.camlab/models")
        #expect(CamlabHome.modelsFolder(environment: ["HOME": "/home/ada", "CAMLAB_MODELS": "/tmp/m"]) == "/tmp/m")
        #expect(CamlabHome.figuresFolder(environment: ["CAMLAB_HOME": "/srv/lab/ada"]) == "/srv/lab/ada/figures")

        let folder = try Self.scratch("models")
        let theirs = folder + "/trained.safetensors"
        try Data("another session's model".utf8).write(to: URL(fileURLWithPath: theirs))
        let first = try CamlabHome.claimNewFile(in: folder, stem: "trained", extension: "safetensors")
        let second = try CamlabHome.claimNewFile(in: folder, stem: "trained", extension: "safetensors")
        #expect(first == folder + "/trained-2.safetensors")
        #expect(second == folder + "/trained-3.safetensors")
        #expect(try String(contentsOfFile: theirs, encoding: .utf8) == "another session's model")
    }

    @Test func trainDefaultsToTheLessonsRecipe() throws {
        let options = try TrainCommand.options(from: [])
        #expect(options == LessonRecipe.options)   // not 2 epochs, which left a model at 41 %
        #expect(try TrainCommand.options(from: ["3", "--seed", "7"]).epochs == 3)
        #expect(throws: CommandError.self) { try TrainCommand.options(from: ["--lr"]) }
        #expect(try TrainCommand.options(from: ["--shuffle-labels", "3"]).epochs == 3)
    }

    @Test func sanityComparesWithARandomLabelModelAndWithRandomizedLayers() throws {
        let recording = RecordingLab()
        // The model against itself: the data randomization row must then show identical maps.
        let output = try #require(recording.run("sanity gradcam guided --labels \(RecordingLab.model)"), "\(recording.errors)")
        #expect(output.text.contains("trained on random labels"))
        guard case .number(let top)? = output.values["gradcam_rank_top"], case .number(let all)? = output.values["gradcam_rank"],
              case .number(let same)? = output.values["gradcam_rank_labels"], case .number(let similar)? = output.values["guided_ssim_labels"] else {
            Issue.record("no sanity values"); return
        }
        #expect(abs(same - 1) < 1e-9 && abs(similar - 1) < 1e-9)
        #expect(all < top)   // the more layers are random, the less the Grad-CAM map is the trained one's
    }

    @Test func aLessonPutsBackTheModelItIsWrittenForAndSaysSo() throws {
        let recording = RecordingLab()
        let other = try Self.scratch("model") + "/mine.safetensors"
        try FileManager.default.copyItem(atPath: RecordingLab.model, toPath: other)
        recording.run("model \(other)")
        #expect(recording.lab.state.modelPath == other)
        let opened = try #require(recording.run("lesson 3"))
        #expect(recording.lab.state.modelPath == RecordingLab.model)
        #expect(opened.text.contains("written for the lessons' model") && opened.text.contains("model \(other)"))
        let lesson1 = try recording.lab.lessons.lesson("1")
        #expect(!lesson1.needsLessonsModel)   // tensors only: nothing to put back
    }

    @Test func aLessonResumedInANewSessionGetsTheStateItsStepNeeds() throws {
        let progress = NSTemporaryDirectory() + "camlab-progress-\(UUID().uuidString).json"
        let first = RecordingLab(progress: progress)
        first.run("lesson 6")
        first.run("step 3")
        #expect(first.lab.state.image == .dataset(.multi, 7))   // a jump restores it too
        first.run("quit")

        let second = RecordingLab(progress: progress)
        #expect(second.lab.state.image == .dataset(.shapes, 2))
        let opened = try #require(second.run("lesson 6"))
        #expect(second.lab.lessons.stepIndex == 2)
        #expect(second.lab.state.image == .dataset(.multi, 7))
        #expect(opened.text.contains("Restored what steps 1–2 set: image multi 7"))
    }

    @Test func reopeningACompletedLessonResumesAtTheStepLeft() throws {
        let progress = NSTemporaryDirectory() + "camlab-progress-\(UUID().uuidString).json"
        let first = RecordingLab(progress: progress)
        first.run("lesson 1")
        let steps = try #require(first.lab.lessons.lesson?.steps.count)
        first.run("step \(steps)")
        let done = try #require(first.run("next"))
        #expect(done.text.contains("complete"))
        let again = try #require(first.run("lesson 1"))
        #expect(first.lab.lessons.stepIndex == 0)             // finished: it starts over, and says so
        #expect(again.text.contains("completed this lesson"))
        first.run("step 4")

        let second = RecordingLab(progress: progress)
        second.run("lesson 1")
        #expect(second.lab.lessons.stepIndex == 3)            // the saved step, though the lesson is done
    }

    @Test func aClassChosenEarlierIsNamedWhenItIsNotThePrediction() throws {
        let recording = RecordingLab()
        recording.run("image shapes 0")                        // a circle
        recording.run("class cross")
        let map = try #require(recording.run("gradcam"))
        #expect(map.text.contains("This explains cross, the class chosen; the model predicts circle"))
        let compare = try #require(recording.run("compare cam gradcam"))
        #expect(compare.text.contains("class cross (chosen; the model predicts circle)"))
        recording.run("class auto")
        let predicted = try #require(recording.run("gradcam"))
        #expect(!predicted.text.contains("the class chosen"))
        #expect(try #require(recording.run("compare cam")).text.contains("class circle (predicted)"))
    }

    @Test func checkAndGradcheckListWhatTheyCanDo() throws {
        let recording = RecordingLab()
        let check = try #require(recording.run("check"))
        for name in EquationCheck.Name.allCases { #expect(check.text.contains(name.rawValue + ":")) }
        let help = try #require(recording.run("help gradcheck"))
        for operation in GradCheckCommand.operations { #expect(help.text.contains(operation.name)) }
    }

    @Test func everyNormalizedMapShowsItsRawRange() throws {
        let recording = RecordingLab()
        let map = try #require(recording.run("cam"))
        guard case .number(let high)? = map.values["raw_max"], case .number(let low)? = map.values["raw_min"] else {
            Issue.record("cam computed no raw range"); return
        }
        #expect(low < high && high > 0)
        #expect(map.text.contains("the raw map runs from"))
        #expect(map.text.contains("[1] CAM · shapes 2 ·"))   // the image by its name, not a cache file

        let own = try #require(recording.run("compare cam triangle circle"))
        let shared = try #require(recording.run("compare cam triangle circle --scale shared"))
        func number(_ output: CommandOutput, _ key: String) -> Double {
            if case .number(let x)? = output.values[key] { return x }
            Issue.record("no \(key)"); return .nan
        }
        #expect(number(own, "cam.triangle.shown_max") > 0.999 && number(own, "cam.circle.shown_max") > 0.999)
        // Shared: the stronger map keeps its peak at 1, the weaker one is dimmed by about the ratio of the peaks.
        let ratio = number(own, "cam.circle.raw_max") / number(own, "cam.triangle.raw_max")
        #expect(ratio < 1)
        #expect(abs(number(shared, "cam.triangle.shown_max") - 1) < 1e-6)
        #expect(abs(number(shared, "cam.circle.shown_max") - ratio) < 0.05)
        #expect(own.text.contains("raw "))
    }

    @Test func aSharedScaleDividesEachUpsampledPositiveRawMapByTheLargestValue() throws {
        let recording = RecordingLab()
        let network = try recording.lab.network()
        let input = try recording.lab.image().modelInput(for: network)
        let explain = { (c: Int) in try Explainer(network: network).explain(input.batch, ExplanationRequest(method: .gradcam, classes: [c]))[0] }
        let (triangle, circle) = (try explain(2), try explain(0))
        let shared = Explanation.sharedScale([triangle, circle])
        func upsampled(_ e: Explanation) throws -> [Float] {
            let raw = try #require(e.raw)
            return raw.relu().reshaped(to: [1, 1, raw.shape[0], raw.shape[1]]).resizedBilinear(height: 32, width: 32).scalars
        }
        let (a, b) = (try upsampled(triangle), try upsampled(circle))
        let peak = max(a.max()!, b.max()!)
        for (map, expected) in zip(shared, [a, b]) {
            let values = try #require(map)
            #expect(zip(values, expected).map { abs($0 - $1 / peak) }.max()! < 1e-6)
        }
        #expect(shared.compactMap { $0?.max() }.max() == 1)
        // The normalized map is the same picture on its own scale.
        let own = try #require(triangle.map).scalars
        #expect(zip(own, a).map { abs($0 - $1 / a.max()!) }.max()! < 0.02)
    }

    @Test func replFiguresGoToTheLearnersFolderWithTheImagesNameAndOutlines() throws {
        let home = try Self.scratch("home")
        setenv("CAMLAB_HOME", home, 1)
        defer { unsetenv("CAMLAB_HOME") }
        let recording = RecordingLab()
        let written = try #require(recording.run("figure overlay"), "\(recording.errors)")
        let path = home + "/figures/figure-overlay.png"
        #expect(written.text.contains(path))
        let drawn = try PNGFile.readRGB(at: path)

        let sample = Subject.sample(.shapes, index: 2)
        var request = FigureRequest(kind: .overlay)
        request.modelPath = RecordingLab.model
        request.subjects = [Subject(name: "shapes 2", image: sample.image, masks: sample.masks)]
        #expect(drawn == (try request.render().rgbImage))
        request.subjects = [Subject(name: "shapes 2", image: sample.image)]   // as before: no outlines
        #expect(drawn != (try request.render().rgbImage))
    }
}
