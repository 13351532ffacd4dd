import Foundation
import Testing
@testable import CamlabREPL

struct CompletionTests {
    func candidates(_ line: String, lab: Lab) -> Completer.Candidates {
        let completer = Completer { words, prefix in Repl.candidates(words: words, prefix: prefix, lab: lab) }
        let start = line.lastIndex(of: " ").map { line.utf8.distance(from: line.startIndex, to: $0) + 1 } ?? 0
        return completer.completions(line: line, start: start, end: line.utf8.count)
    }

    /// On a ResNet, Tab completes module paths: the blocks of a stage, the modules of a block.
    @Test func modulePathsOfAResNet() {
        let lab = RecordingLab().lab
        lab.state.modelPath = RecordingLab.packageRoot.appendingPathComponent("Tests/CamlabMethodsTests/Fixtures/resnet-bottleneck/model.safetensors").path
        #expect(candidates("layer layer2.", lab: lab) == .words(["layer2.0", "layer2.0.bn1", "layer2.0.bn2", "layer2.0.bn3", "layer2.0.conv1", "layer2.0.conv2",
                                                                  "layer2.0.conv3", "layer2.0.downsample", "layer2.0.downsample.0", "layer2.0.downsample.1",
                                                                  "layer2.1", "layer2.1.bn1", "layer2.1.bn2", "layer2.1.bn3", "layer2.1.conv1", "layer2.1.conv2", "layer2.1.conv3"]))
        #expect(candidates("layers layer4.0.r", lab: lab) == .words(["layer4.0.relu"]))
        #expect(candidates("gradcam layer4.0.c", lab: lab) == .words(["layer4.0.conv1", "layer4.0.conv2", "layer4.0.conv3"]))
    }

    @Test func commandsMethodsClassesLayersLessonsAndPaths() {
        let lab = RecordingLab().lab
        #expect(candidates("grad", lab: lab) == .words(["gradcam", "gradcam-elementwise", "gradcam-positive", "gradcampp", "gradcampp-exact", "gradcampp-paper", "gradcheck", "gradgrad", "grads"]))
        #expect(candidates("he", lab: lab) == .words(["help"]))
        #expect(candidates("class tri", lab: lab) == .words(["triangle"]))
        #expect(candidates("layer features.", lab: lab) == .words((0...6).map { "features.\($0)" }))
        #expect(candidates("gradcam sq", lab: lab) == .words(["square"]))
        let lessons = (try? FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Lessons").path))
            .map { $0.filter { $0.first?.isNumber == true && $0.hasSuffix(".md") }.map { String(Int($0.prefix(2))!) }.sorted { Int($0)! < Int($1)! } } ?? []
        #expect(lessons.contains("1") && lessons.contains("8"))
        #expect(candidates("lesson ", lab: lab) == .words(lessons + ["reset"]))
        #expect(candidates("lesson reset ", lab: lab) == .words(lessons))
        #expect(candidates("image mu", lab: lab) == .words(["multi"]))
        #expect(candidates("model ", lab: lab) == .paths)
        #expect(candidates("image Tests/", lab: lab) == .paths)
        #expect(candidates("image ", lab: lab) == .paths)
        #expect(candidates("help sco", lab: lab) == .words(["score", "scorecam"]))
        // Every command's own completions are reached (three had a signature the table never called).
        #expect(candidates("figure si", lab: lab) == .words(["side-by-side"]))
        #expect(candidates("figure side-by-side gradcampp-", lab: lab) == .words(["gradcampp-exact", "gradcampp-paper"]))
        #expect(candidates("check eq", lab: lab) == .words(["eq1", "eq2", "eq3"]))
        #expect(candidates("frobnicate ", lab: lab) == .words([]))
    }
}
