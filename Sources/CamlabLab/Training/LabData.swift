import CamlabCore
import CamlabFiles
import CamlabData
import CamlabImaging
import CamlabNN
import Foundation

/// Reading what the commands are given: architectures, labelled folders and single images,
/// shaped for a network.
public enum LabData {
    /// Reads an architecture document (the `architecture` object of `model-format.md`).
    /// - Throws: `LabError` saying why the file cannot be used.
    public static func architecture(at path: String) throws -> Architecture {
        let text: String
        do {
            text = try RegularFile.text(at: path)
        } catch {
            throw LabError("cannot read the architecture '\(path)': \(error)")
        }
        do {
            return try Architecture(jsonString: text)
        } catch {
            throw LabError("'\(path)' is not a usable architecture document: \(error)")
        }
    }

    /// The images of `directory/<class>/*` for the network's classes (in its order), decoded at
    /// its input size; `note` is told how many had to be resized.
    public static func labeledImages(in directory: String, for architecture: Architecture,
                                     note: (String) -> Void) throws -> LabeledImages {
        let folder = try ImageFolder(directory: directory, classes: architecture.classes)
        let (channels, height, width) = (architecture.input[0], architecture.input[1], architecture.input[2])
        guard channels == 1 || channels == 3 else {
            throw LabError("cannot read images for a network with \(channels) input channels: images have 1 (gray) or 3 (RGB)")
        }
        let decoded = try folder.decoded(channels: channels, height: height, width: width)
        if decoded.resizedCount > 0 {
            note("note: \(decoded.resizedCount) of \(folder.count) images were resized to \(width)×\(height), the network's input size")
        }
        return LabeledImages(images: decoded.images, labels: decoded.labels)
    }
}

/// An error whose description is the one sentence to show.
public struct LabError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
