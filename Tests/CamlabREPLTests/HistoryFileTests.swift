import Foundation
import Testing
@testable import CamlabREPL

struct HistoryFileTests {
    @Test func boundedSkipsBlanksAndRepeatsAndSurvivesARestart() throws {
        let path = NSTemporaryDirectory() + "camlab-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = HistoryFile(path: path, limit: 5)
        first.load()
        for line in ["cam", "cam", "   ", "gradcam", "score", "grads", "gap", "weights", "features"] { first.add(line) }
        first.save()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["score", "grads", "gap", "weights", "features"])
        let second = HistoryFile(path: path, limit: 5)
        second.load()
        second.add("features")   // the same as the last line of the previous session: not repeated
        second.add("predict")
        second.save()
        let again = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(again == ["grads", "gap", "weights", "features", "predict"])
    }
}
