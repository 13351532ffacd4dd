import Foundation
import Testing
@testable import CamlabREPL

struct CompletionTests {
    func candidates(_ line: String, lab: Lab) -> Completer.Candidates {
        let completer = Completer { words, prefix in Repl.candidates(words: words, prefix: prefix, lab: lab) }
        let start = line.lastIndex(of: " ").map { line.utf8.distance(from: line.startIndex, to: $0) + 1 } ?? 0
        return completer.completions(line: line, start: start, end: line.utf8.count)
    }

    @Test func commandsMethodsClassesLayersLessonsAndPaths() {
        let lab = RecordingLab().lab
        #expect(candidates("grad", lab: lab) == .words(["gradcam", "gradcam-elementwise", "gradcampp", "gradcampp-exact", "gradcampp-paper", "gradcheck", "gradgrad", "grads"]))
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
        #expect(candidates("frobnicate ", lab: lab) == .words([]))
    }
}
