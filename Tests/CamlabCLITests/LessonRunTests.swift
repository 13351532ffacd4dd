import Foundation
import Testing

/// Every lesson runs unattended (`camlab lesson N --run`), each cell's expectations checked, in
/// under 60 s, as CI runs them.
struct LessonRunTests {
    static let lessonsFolder = CommandLine.packageRoot.appendingPathComponent("Lessons")

    static var lessonNumbers: [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: lessonsFolder.path)) ?? [])
            .filter { $0.hasSuffix(".md") }.compactMap { Int($0.prefix { $0.isNumber }) }.sorted()
    }

    static func environment() -> [String: String] {
        let scratch = NSTemporaryDirectory() + "camlab-lesson-\(UUID().uuidString)"
        return ["CAMLAB_HISTORY": scratch + ".history", "CAMLAB_PROGRESS": scratch + ".progress.json",
                "CAMLAB_MODELS": scratch + "-models", "CAMLAB_HOME": scratch + "-home"]
    }

    @Test func thereAreLessons() {
        #expect(Self.lessonNumbers.count >= 4)
    }

    @Test(arguments: lessonNumbers)
    func lessonRunsUnattended(_ number: Int) throws {
        let start = Date()
        // Run where a learner might, outside the checkout: a lesson must write nothing there.
        let folder = URL(fileURLWithPath: NSTemporaryDirectory() + "camlab-lesson-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try CommandLine.run(["lesson", String(number), "--run"], environment: Self.environment(), in: folder)
        let seconds = Date().timeIntervalSince(start)
        #expect(result.status == 0, "lesson \(number) failed:\n\(result.stdout.suffix(3000))\n\(result.stderr)")
        #expect(result.stdout.contains("every cell ran as expected"))
        #expect(!result.stdout.contains("✗"))
        #expect(!result.stdout.lowercased().contains(" nan"))
        #expect(seconds < 60, "lesson \(number) took \(seconds) s")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "lesson \(number) wrote into the current folder")
    }

    @Test func aLessonThatStopsTellingTheTruthFails() throws {
        let folder = NSTemporaryDirectory() + "camlab-lessons-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lesson = "# A wrong claim\n\nCAM and Grad-CAM differ at the GAP layer (they do not).\n\n```camlab\ncam\ngradcam\ndiff\n#> expect max_difference > 0.1\n```\n"
        try lesson.write(toFile: folder + "/09-wrong.md", atomically: true, encoding: .utf8)
        var environment = Self.environment()
        environment["CAMLAB_LESSONS"] = folder
        let result = try CommandLine.run(["lesson", "9", "--run"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ expect max_difference > 0.1"))
        let missing = try CommandLine.run(["lesson", "8", "--run"], environment: environment)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no lesson '8'"))
    }

    @Test func listingShowsProgressAndEnterWalksThroughALesson() throws {
        let environment = Self.environment()
        // Enter runs step 1's cell, Enter goes on, Enter runs step 2's cell; then leave.
        let walk = try CommandLine.run(["lesson", "3"], environment: environment, input: "\n\n\nhint\nquit\n")
        #expect(walk.status == 0, "\(walk.stderr)")
        #expect(walk.stdout.contains("step 1 of"))
        #expect(walk.stdout.contains("✓ expect classes == 4"))
        #expect(walk.stdout.contains("step 2 of"))
        #expect(walk.stdout.contains("✓ expect class == triangle"))
        let listing = try CommandLine.run(["lesson"], environment: environment)
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("step 2 of"))       // lesson 3 resumes where it stopped
        #expect(listing.stdout.contains("not started"))     // the others
        let resumed = try CommandLine.run(["lesson", "3"], environment: environment, input: "quit\n")
        #expect(resumed.stdout.contains("step 2 of"))
    }
}
