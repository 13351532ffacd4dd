import Foundation

/// Where the learner stopped in each lesson, saved after every step in `$CAMLAB_PROGRESS`, else
/// `~/.camlab_progress.json`.
public struct LessonProgress: Codable, Equatable {
    public struct Entry: Codable, Equatable {
        /// The step to resume at (1-based).
        public var step: Int
        public var completed: Bool
    }

    public var lessons: [String: Entry] = [:]

    public init() {}

    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["CAMLAB_PROGRESS"], !path.isEmpty { return path }
        return ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".camlab_progress.json")
    }

    /// The saved progress; a missing or unreadable file is a fresh start.
    public static func load(from path: String) -> LessonProgress {
        guard let data = FileManager.default.contents(atPath: path),
              let progress = try? JSONDecoder().decode(LessonProgress.self, from: data) else { return LessonProgress() }
        return progress
    }

    public func save(to path: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(self) else { return }
        // Progress is a convenience: failing to save it must not stop the lesson.
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public subscript(lesson number: Int) -> Entry? {
        get { lessons[String(number)] }
        set { lessons[String(number)] = newValue }
    }
}
