import CamlabImaging
import CamlabLab
import CamlabMethods

/// The kinds of figure `camlab figure` draws.
public enum FigureKind: String, CaseIterable, Sendable {
    case overlay, sideBySide = "side-by-side", compare, gallery, bars, curves, guided, counterfactual

    /// One line for --help (short enough for an 80-column terminal after the name).
    public var summary: String {
        switch self {
        case .overlay: "one method's map over one image, with colorbar and equation"
        case .sideBySide: "the photo beside show_cam_on_image's overlay (the tutorial's picture)"
        case .compare: "images × methods grid, one shared colorbar"
        case .gallery: "CAM's feature maps A^k with F^k and w_k^c, and the CAM"
        case .bars: "bar charts of F^k, w_k^c and w_k^c F^k (CAM)"
        case .curves: "loss and accuracy per epoch (--log: camlab train --json)"
        case .guided: "Grad-CAM, guided backprop and Guided Grad-CAM"
        case .counterfactual: "evidence for and against each class"
        }
    }
}

/// Everything `camlab figure` was asked for, checked and turned into a figure.
public struct FigureRequest {
    public var kind: FigureKind
    /// nil: `FigureLab.defaultModelPath()`.
    public var modelPath: String?
    public var imagePaths: [String] = []
    /// Images already in hand (the REPL's current image, with its name and ground truth); used
    /// instead of `imagePaths` when set.
    public var subjects: [Subject]?
    /// nil: Grad-CAM for one-method figures, Grad-CAM and Grad-CAM++ for comparisons.
    public var methods: [MethodName]?
    /// A class name or index; nil: the predicted class (counterfactual: the two most probable).
    public var className: String?
    public var layer: String?
    public var logPath: String?
    /// Feature maps shown by the gallery.
    public var featureMapCount = 8
    public var title: String?
    /// How each image is brought to the network (`--preprocess`, `--resize`, `--mean`, `--std`).
    public var preprocessing = Preprocessing.none
    public var style = FigureStyle()

    /// Characters of a title: a figure is as wide as its title, and 200 characters already make
    /// it about 2,000 pixels wide (40,000 made a canvas of 400,000 pixels and took half a minute).
    public static let longestTitle = 200

    public init(kind: FigureKind) { self.kind = kind }

    /// Reads `a,b,c` as method names; an unknown name is an error that lists the valid ones.
    public static func methods(from list: String) throws -> [MethodName] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw FigureError("--methods needs at least one method name, e.g. --methods gradcam,gradcampp.") }
        return try names.map { name in
            guard let method = MethodName(name: name) else {
                throw FigureError("Unknown method '\(name)'; methods are \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return method
        }
    }

    /// Draws the figure.
    public func render() throws -> Canvas {
        if let title, title.count > Self.longestTitle {
            throw FigureError("--title is \(title.count) characters long; a title has at most \(Self.longestTitle).")
        }
        if kind == .curves {
            guard let logPath else {
                throw FigureError("The curves figure needs a training log: pass the JSON lines of `camlab train --json` with --log FILE.")
            }
            return Figures.curves(try TrainingLog.read(at: logPath), title: title ?? "Training", style: style)
        }
        // Subjects given are shown as they are; files are brought to the network by the recipe.
        let subjects = try self.subjects ?? imagePaths.map { try Subject.file(at: $0).prepared(with: preprocessing) }
        guard !subjects.isEmpty else {
            throw FigureError("The \(kind.rawValue) figure needs an image: pass one with --image FILE.")
        }
        if kind != .compare, subjects.count > 1 {
            throw FigureError("The \(kind.rawValue) figure shows one image, but \(subjects.count) were given; use `camlab figure compare` for several.")
        }
        let lab = try FigureLab(modelAt: modelPath ?? FigureLab.defaultModelPath(), overriding: preprocessing.filling(.none))
        let classIndex = try className.map(lab.classIndex(named:))
        switch kind {
        case .overlay:
            let chosen = methods ?? [.gradcam]
            guard chosen.count == 1 else {
                throw FigureError("The overlay figure shows one method, but \(chosen.count) were given; use `camlab figure compare` for several.")
            }
            return try Figures.overlay(subjects[0], method: chosen[0], classIndex: classIndex, layer: layer, title: title, lab: lab, style: style)
        case .sideBySide:
            let chosen = methods ?? [.gradcam]
            guard chosen.count == 1 else {
                throw FigureError("The side-by-side figure shows one method, but \(chosen.count) were given; use `camlab figure compare` for several.")
            }
            return try Figures.sideBySide(subjects[0], method: chosen[0], classIndex: classIndex, layer: layer,
                                          preprocessing: preprocessing.description, title: title, lab: lab, style: style)
        case .compare:
            return try Figures.comparison(subjects.map { ComparisonRow(subject: $0, classIndex: classIndex) },
                                          methods: methods ?? [.gradcam, .gradcampp], title: title, layer: layer, lab: lab, style: style)
        case .gallery:
            return try Figures.gallery(subjects[0], classIndex: classIndex, layer: layer, count: featureMapCount, title: title,
                                       lab: lab, style: style)
        case .bars:
            return try Figures.bars(subjects[0], classIndex: classIndex, layer: layer, title: title, lab: lab, style: style)
        case .guided:
            return try Figures.guided(subjects[0], classIndex: classIndex, layer: layer, title: title, lab: lab, style: style)
        case .counterfactual:
            let classes = try classIndex.map { [$0] } ?? Self.twoMostProbable(subjects[0], lab: lab)
            return try Figures.counterfactual(subjects[0], classIndices: classes, layer: layer, title: title, lab: lab, style: style)
        case .curves:
            preconditionFailure("handled above")
        }
    }

    /// The two classes the model finds most probable: on a two-object image, usually the two objects.
    static func twoMostProbable(_ subject: Subject, lab: FigureLab) throws -> [Int] {
        let logits = try lab.explain(subject, method: .gradcam).logits
        return Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(2))
    }
}
