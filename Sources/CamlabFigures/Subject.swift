import CamlabData
import CamlabImaging
import CamlabLab
import CamlabMethods

/// An image to explain, with what is known about it: a short name for labels and, for images
/// from camlab's datasets, the ground-truth mask of each class present.
public struct Subject: Sendable {
    public var name: String
    public var image: RGBImage
    /// Ground truth by class name (255 inside the objects of that class).
    public var masks: [String: GrayImage]

    public init(name: String, image: RGBImage, masks: [String: GrayImage] = [:]) {
        self.name = name
        self.image = image
        self.masks = masks
    }

    /// Image `index` of a synthetic dataset, drawn deterministically, named like "shapes #3".
    public static func sample(_ kind: DatasetKind, index: Int, size: Int = 32, seed: UInt64 = 0) -> Subject {
        let sample = DatasetGenerator.sample(kind: kind, index: index, size: size, seed: seed)
        return Subject(name: "\(kind.rawValue) #\(index)", image: sample.image,
                       masks: Dictionary(uniqueKeysWithValues: sample.masks.map { ($0.key.rawValue, $0.value) }))
    }

    /// An image file; its masks come from the dataset manifest beside it when there is one.
    public static func file(at path: String) throws -> Subject {
        let image: RGBImage
        do {
            image = try ImageFile.readRGB(at: path)
        } catch {
            throw FigureError(sentenceFrom: error)
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return Subject(name: name, image: image, masks: ManifestMasks.masks(forImageAt: path))
    }

    /// This subject as `preprocessing` brings it to the network: the image resized (and cropped),
    /// its masks with it.
    public func prepared(with preprocessing: Preprocessing) -> Subject {
        Subject(name: name, image: preprocessing.prepared(image), masks: masks.mapValues(preprocessing.prepared))
    }

    /// The classes to outline when explaining `className`: that class where it is present, else
    /// every object (the model is explaining something that is not there).
    func outlineClasses(explaining className: String) -> [String] {
        masks[className] != nil ? [className] : presentClasses
    }

    /// Where a map (at the image's size) lies, for a row label: "on circle 22% · elsewhere on
    /// objects 16%" — nil without masks. What the prose says about a map can be read beside it.
    func shareLabel(of map: [Float], explaining className: String) -> String? {
        guard !masks.isEmpty, map.count == image.width * image.height else { return nil }
        var parts: [String] = []
        if let own = masks[className] { parts.append(String(format: "on %@ %.0f%%", className, 100 * Localization.share(of: map, inside: [own.pixels]))) }
        let others = masks.filter { $0.key != className }.map(\.value.pixels)
        if !others.isEmpty { parts.append(String(format: "on other objects %.0f%%", 100 * Localization.share(of: map, inside: others))) }
        return parts.joined(separator: " · ")
    }

    /// The classes present, by name, when known: "circle and square".
    var truth: String? { masks.isEmpty ? nil : presentClasses.joined(separator: " and ") }

    /// The names of the classes with a mask, in the models' class order.
    private var presentClasses: [String] {
        masks.keys.sorted { (ShapeClass(rawValue: $0)?.index ?? .max, $0) < (ShapeClass(rawValue: $1)?.index ?? .max, $1) }
    }

    /// The picture shown for this subject, with the outlines of `classes` when masks are known.
    func picture(side: Int, outlining classes: [String], style: FigureStyle) -> RGBImage {
        outlined(Display.enlarged(image, side: side), classes: classes, style: style)
    }

    func outlined(_ picture: RGBImage, classes: [String], style: FigureStyle) -> RGBImage {
        guard style.showsOutlines else { return picture }
        return classes.compactMap { masks[$0] }.reduce(picture) { Display.outlining($0, mask: $1, color: style.outline) }
    }
}
