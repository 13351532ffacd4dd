import CamlabLab
import Foundation
import Testing
@testable import CamlabREPL

/// What the REPL says about words it cannot use (issue #14): a sentence naming the word, never
/// only a usage line, never the raw bytes of a control character, never silence.
struct ReplRefusalTests {
    func error(of line: String) -> String? {
        let recording = RecordingLab()
        guard case .failed(let message) = recording.lab.evaluate(line) else { return nil }
        return message
    }

    @Test func extraArgumentsAreRefused() throws {
        #expect(try #require(error(of: "quit now")) == "'quit' takes no arguments; 'now' is one too many.")
        #expect(try #require(error(of: "class auto extra")).contains("'extra' is one too many"))
        #expect(try #require(error(of: "state a b")).contains("2 words from 'a' on are too many"))
        #expect(try #require(error(of: "gradcam triangle features.4 more")).contains("takes at most 2 arguments"))
        // What the usage allows still runs.
        #expect(error(of: "lesson reset 1") == nil)
        #expect(error(of: "help quit") == nil)
    }

    /// The limits come from the usage lines `help` shows.
    @Test func usageLinesGiveTheLimits() {
        #expect(Usage.maximumWordCount(of: "quit") == 0)
        #expect(Usage.maximumWordCount(of: "class [NAME | INDEX | auto]") == 1)
        #expect(Usage.maximumWordCount(of: "image [PATH [--resize WxH] | DATASET N]") == 3)
        #expect(Usage.maximumWordCount(of: "lesson [N | reset N [yes]]") == 3)
        #expect(Usage.maximumWordCount(of: "autodiff [A B C F]") == 4)
        #expect(Usage.maximumWordCount(of: "compare [METHOD …]") == nil)
        #expect(Usage.maximumWordCount(of: "train [EPOCHS] [OPTIONS]") == nil)
    }

    @Test func trainSaysWhichWordIsWrong() throws {
        #expect(try #require(error(of: "train 0")).contains("the number of epochs must be at least 1, not 0"))
        #expect(try #require(error(of: "train abc")).contains("'abc' is neither a number of epochs nor an option"))
        #expect(try #require(error(of: "train 1 --lr nan")).contains("the learning rate must be a positive number, not nan"))
        #expect(try #require(error(of: "train 1 --lr")).contains("--lr needs a value"))
        #expect(try #require(error(of: "train 1 --seed -3")).contains("--seed takes a whole number ≥ 0, not '-3'"))
    }

    @Test func controlCharactersAreNotEchoedRaw() throws {
        let message = try #require(error(of: "\u{1B}[31mfoo\u{07}"))
        #expect(message.contains("'\\e[31mfoo\\x07'"))
        #expect(!message.contains("\u{1B}") && !message.contains("\u{07}"))
        let nul = try #require(error(of: "sta\u{0}te"))
        #expect(nul.contains("'sta\\x00te'") && !nul.contains("did you mean"))
    }
}
