import Foundation

/// The learner's own camlab folder: `$CAMLAB_HOME`, else `$HOME/.camlab`. Files a session makes
/// (trained models, REPL figures) go here, never into the checkout or another user's home.
public enum CamlabHome {
    public static func folder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["CAMLAB_HOME"], !path.isEmpty { return path }
        // $HOME, not NSHomeDirectory(): the password database may name another home than the shell's.
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".camlab")
    }

    /// Where `train` saves: `$CAMLAB_MODELS`, else `models/` of the home folder.
    public static func modelsFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["CAMLAB_MODELS"], !path.isEmpty { return path }
        return (folder(environment: environment) as NSString).appendingPathComponent("models")
    }

    /// Where the REPL's `figure` writes when given no file: `figures/` of the home folder.
    public static func figuresFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        (folder(environment: environment) as NSString).appendingPathComponent("figures")
    }

    /// A new file `stem.ext` in `folder`, or `stem-2.ext`, `stem-3.ext`, … when that is taken.
    /// The name is claimed by creating the file exclusively, so two sessions never get the same one.
    public static func claimNewFile(in folder: String, stem: String, extension ext: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for number in 1...10_000 {
            let name = number == 1 ? "\(stem).\(ext)" : "\(stem)-\(number).\(ext)"
            let path = (folder as NSString).appendingPathComponent(name)
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            if descriptor >= 0 { close(descriptor); return path }
            guard errno == EEXIST else { break }
        }
        throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: folder])
    }
}
