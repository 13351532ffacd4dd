import CamlabLab
import Testing
@testable import CamlabREPL

struct LessonParsingTests {
    static let markdown = """
        # A lesson

        Some prose about eq. 1.

        > **Hint:** look at the
        > difference.

        ```camlab
        score
        # a comment, not a command
        #> expect difference < 1e-4
        ```

        More prose.

        ```text
        not a cell
        ```

        ```camlab
        cam features.3
        #> expect error contains "global average pooling"
        ```

        ## Exercises
        1. Try it.
        """

    @Test func stepsCellsHintsAndExpectations() throws {
        let lesson = try Lesson(number: 3, path: "03-test.md", markdown: Self.markdown)
        #expect(lesson.title == "A lesson")
        #expect(lesson.steps.count == 3)
        #expect(lesson.steps[0].commands == ["score"])
        #expect(lesson.steps[0].hints == ["look at the difference."])
        #expect(!lesson.steps[0].prose.contains("Hint"))
        #expect(lesson.steps[0].expectations.first?.kind == .value(name: "difference", comparison: .less, expected: "1e-4"))
        #expect(lesson.steps[1].prose.contains("not a cell"))
        #expect(lesson.steps[1].expectations.first?.kind == .errorContains("global average pooling"))
        #expect(lesson.steps[2].commands == nil)
        #expect(Lesson.number(ofFile: "03-cam.md") == 3)
        #expect(Lesson.number(ofFile: "README.md") == nil)
    }

    /// A lesson saved with Windows line endings reads as the same lesson ("\r\n" is one Swift
    /// Character, so splitting at "\n" kept the whole file as one line); found by the fuzzer.
    @Test func crlfLineEndingsReadTheSame() throws {
        let lesson = try Lesson(number: 3, path: "03-test.md", markdown: Self.markdown.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(lesson.title == "A lesson")
        #expect(lesson.steps.count == 3 && lesson.steps[0].commands == ["score"])
        #expect(lesson.steps[1].expectations.first?.kind == .errorContains("global average pooling"))
    }

    /// A control character in a bad expectation is escaped, so the message stays one line.
    @Test func aBadExpectationIsEchoedEscaped() {
        let error = LessonError.badExpectation("expect p > 0.5\r\u{1B}", line: 7)
        #expect(error.description == "Line 7 of a lesson: cannot read the expectation 'expect p > 0.5\\r\\e'; see Lessons/README.md.")
    }

    @Test func unclosedCellAndBadExpectationAreErrors() {
        #expect(throws: LessonError.unclosedCell("x.md")) { try Lesson(number: 1, path: "x.md", markdown: "# T\n```camlab\nscore\n") }
        #expect(throws: LessonError.self) { try Lesson(number: 1, path: "x.md", markdown: "# T\n```camlab\n#> expect difference about 0\n```\n") }
    }

    @Test func expectationsCompareWhatWasComputed() throws {
        let small = try Expectation(parsing: "expect difference < 1e-4", line: 1)
        #expect(small.check(values: ["difference": .number(3e-7)], output: "", error: nil).passed)
        #expect(!small.check(values: ["difference": .number(0.2)], output: "", error: nil).passed)
        #expect(!small.check(values: [:], output: "", error: nil).passed)
        #expect(!small.check(values: ["difference": .number(.nan)], output: "", error: nil).passed)
        let relative = try Expectation(parsing: "expect others > inside", line: 1)
        #expect(relative.check(values: ["others": .number(0.6), "inside": .number(0.1)], output: "", error: nil).passed)
        #expect(!relative.check(values: ["others": .number(0.1), "inside": .number(0.6)], output: "", error: nil).passed)
        #expect(!relative.check(values: ["others": .number(0.1)], output: "", error: nil).passed)
        let word = try Expectation(parsing: "expect class == triangle", line: 1)
        #expect(word.check(values: ["class": .text("triangle")], output: "", error: nil).passed)
        #expect(!word.check(values: ["class": .text("square")], output: "", error: nil).passed)
        let failing = try Expectation(parsing: "expect error contains \"pooling\"", line: 1)
        #expect(!failing.check(values: [:], output: "", error: nil).passed)
        #expect(failing.check(values: [:], output: "", error: "needs global average pooling").passed)
    }
}

struct TerminalMarkdownTests {
    @Test func boldAndCodeReadAsTextWithoutColour() {
        let plain = CamlabLab.Terminal(isInteractive: false, color: .none)
        #expect(TerminalMarkdown.inline("**CAM** needs `gap` and **GAP**", terminal: plain) == "CAM needs `gap` and GAP")
        #expect(TerminalMarkdown.inline("a ** b", terminal: plain) == "a ** b")
        let coloured = CamlabLab.Terminal(isInteractive: true, color: .palette256)
        #expect(TerminalMarkdown.inline("**y^c**", terminal: coloured) == "\u{1B}[1my^c\u{1B}[0m")
        #expect(TerminalMarkdown.render("## Exercises\n```\ncode\n```", terminal: plain) == "Exercises\n\n    code\n")
    }
}
