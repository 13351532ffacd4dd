@testable import CamlabFiles
import Foundation
import Testing
@testable import CamlabNN

/// How messages repeat what a person typed, and the reader of named files (issue #14).
struct EchoTests {
    @Test func controlCharactersAreEscaped() {
        #expect(Echo.word("\u{1B}[31mfoo\u{07}") == "\\e[31mfoo\\x07")
        #expect(Echo.word("sta\u{0}te") == "sta\\x00te")
        #expect(Echo.word("tab\there\nline") == "tab\\there\\nline")
        #expect(Echo.word("Siberian husky é") == "Siberian husky é")
    }

    @Test func longWordsAreShortened() {
        let shown = Echo.word(String(repeating: "a", count: 10_000))
        #expect(shown == String(repeating: "a", count: Echo.longest) + "…")
        #expect(Echo.message(String(repeating: "b", count: 5_000) + "\nshort").split(separator: "\n").map(\.count)
            == [Echo.longestMessageLine + 1, 5])
    }

    /// A NUL inside a word makes it no word: `sta\0te` is not a typo of `state`.
    @Test func aWordWithAControlCharacterGetsNoSuggestion() {
        #expect(Suggestion.closest(to: "sate", among: ["state", "show"]) == "state")
        #expect(Suggestion.closest(to: "sta\u{0}te", among: ["state", "show"]) == nil)
        #expect(Suggestion.closest(to: "bad", among: ["mean", "max"]) == nil)
        #expect(Suggestion.closest(to: "adm", among: ["adam", "sgd"]) == "adam")
    }

    @Test func onlyRegularFilesAreRead() throws {
        #expect(throws: RegularFile.Failure(description: "it is not a regular file (a device, pipe or socket)")) {
            try RegularFile.text(at: "/dev/zero")
        }
        #expect(throws: RegularFile.Failure(description: "it is a folder, not a file")) { try RegularFile.text(at: "/tmp") }
        #expect(throws: RegularFile.Failure(description: "no such file")) { try RegularFile.text(at: "/nonexistent/x.json") }
        let path = NSTemporaryDirectory() + "camlab-regular-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("cat\ndog\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try RegularFile.text(at: path) == "cat\ndog\n")
        #expect(throws: RegularFile.Failure(description: "it is 3 MiB, more than the 1 MiB camlab reads")) {
            try Data(count: 3 << 20).write(to: URL(fileURLWithPath: path))
            _ = try RegularFile.bytes(at: path, limit: 1 << 20)
        }
    }

    /// The output path of a long job is checked before it starts.
    @Test func anUnwritablePathIsRefusedBeforeAnythingIsWritten() throws {
        #expect(throws: ModelFileError.self) { try ModelFile.checkCanWrite(to: NSTemporaryDirectory()) }
        #expect(throws: ModelFileError.self) { try ModelFile.checkCanWrite(to: "/nonexistent-camlab/model.safetensors") }
        // /proc takes no new files, for root too.
        #expect(throws: ModelFileError.self) { try ModelFile.checkCanWrite(to: "/proc/camlab-model.safetensors") }
        let folder = NSTemporaryDirectory() + "camlab-writable-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ModelFile.checkCanWrite(to: folder + "/model.safetensors")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "the check leaves no file behind")
    }
}
