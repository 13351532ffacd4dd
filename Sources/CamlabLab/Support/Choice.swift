import CamlabNN

/// A word typed where camlab knows every possible value (`--fuse`, `--colormap`, a check, a
/// dataset): the value it names, or one sentence that lists the choices and suggests the closest,
/// never a usage screen.
public enum Choice {
    /// The name among `names` that `value` is (ignoring case).
    ///
    /// - Parameter what: how the sentence names the setting: `--fuse`, `the check`.
    /// - Throws: `LabError`: "--fuse must be mean or max, not 'maen'; did you mean 'mean'?"
    public static func name(_ value: String, for what: String, among names: [String]) throws -> String {
        if let match = names.first(where: { $0.lowercased() == value.lowercased() }) { return match }
        throw LabError(refusal(value, for: what, among: names))
    }

    /// The case of `T` whose raw value `value` is.
    public static func value<T: RawRepresentable & CaseIterable>(_ value: String, for what: String, as type: T.Type = T.self) throws -> T
        where T.RawValue == String {
        T(rawValue: try name(value, for: what, among: T.allCases.map(\.rawValue)))!
    }

    /// The sentence for a value that is none of `names`.
    public static func refusal(_ value: String, for what: String, among names: [String]) -> String {
        let listed = names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
        let suggestion = Suggestion.closest(to: value, among: names).map { "; did you mean '\($0)'?" } ?? "."
        return "\(what) must be \(names.count > 2 ? "one of " : "")\(listed), not '\(Echo.word(value))'\(suggestion)"
    }
}
