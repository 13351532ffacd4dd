import CamlabImaging
import CamlabMethods

/// The figures camlab draws. Each returns a canvas to write as PNG.
public enum Figures {}

extension Figures {
    /// One image and its map overlaid: title, method, class and probability, colorbar, the
    /// method's equation and the ground-truth outline of the explained class.
    public static func overlay(_ subject: Subject, method: MethodName, classIndex: Int? = nil, layer: String? = nil, title: String? = nil,
                               lab: FigureLab, style: FigureStyle = FigureStyle()) throws -> Canvas {
        try requireMap(method)
        let explanation = try lab.explain(subject, method: method, classIndex: classIndex, layer: layer)
        let map = try Display.heatmap(explanation.map!)
        let outlined = subject.outlineClasses(explaining: explanation.className)
        let side = style.panelSide
        let input = PanelGrid.Panel(picture: subject.picture(side: side, outlining: outlined, style: style),
                                    caption: [style.smallLine(subject.name)])
        let overlay = PanelGrid.Panel(
            picture: subject.outlined(Display.overlay(subject.image, map: map, side: side, style: style), classes: outlined, style: style),
            caption: [style.smallLine(explanation.isEmpty ? "empty map: no positive evidence" : "map over the image, scaled to [0, 1]")]
                + (explanation.isEmpty ? [] : Display.rawCaption(explanation, style: style)))
        let predicted = explanation.predictedClass
        var subtitle = [style.bodyLine("class \(explanation.classSummary)"
            + (predicted == explanation.classIndex ? " (predicted)" : "; predicted \(lab.network.classes[predicted])")
            + (subject.truth.map { " · the image shows: \($0)" } ?? ""))]
        subtitle.append(style.noteLine(explanationSource(explanation, lab: lab)))
        return PanelGrid(title: [style.titleLine(title ?? headline(method, className: explanation.className))],
                         subtitle: subtitle,
                         columnHeaders: [[style.headingLine("input")], [style.headingLine(method.title)]],
                         rows: [[input, overlay]], colorbar: Colorbar(colormap: style.colormap, style: style),
                         notes: notes(methods: [method], subject: subject, outlined: outlined, style: style),
                         style: style).render()
    }

    /// What the map shows, in words: counterfactual maps show evidence against the class, and
    /// Eigen-CAM ignores the class altogether.
    static func headline(_ method: MethodName, className: String) -> String {
        switch method {
        case .counterfactual: "\(method.title): what speaks against “\(className)”"
        case .eigencam: "\(method.title): the feature maps' main pattern (for any class)"
        default: "\(method.title): where the model sees “\(className)”"
        }
    }

    /// Refuses methods that give an input gradient rather than a heatmap.
    static func requireMap(_ method: MethodName) throws {
        guard method.producesMap else {
            throw FigureError("\(method.title) gives an input-space gradient, not a heatmap; draw it with `camlab figure guided`.")
        }
    }

    /// "layer features.6 · model: model.safetensors".
    static func explanationSource(_ explanation: Explanation, lab: FigureLab) -> String {
        let layers = explanation.layers.isEmpty ? "every convolution" : "layer " + explanation.layers.joined(separator: ", ")
        return "\(layers) · model: \(lab.modelName)"
    }

    /// The equations of the methods, the colormap used and what the outlines mean.
    static func notes(methods: [MethodName], subject: Subject?, outlined: [String], style: FigureStyle) -> [TextLine] {
        var lines: [TextLine] = []
        if style.showsEquation {
            lines += methods.map { style.bodyLine("\($0.title):  \($0.equation)") }
        }
        var legend = "colours: \(style.colormap.name == "jet" ? "JET" : style.colormap.name), map 0 → 1"
            + ", image weight \(formatted(style.imageWeight, maximumDecimals: 2))"
        if style.showsOutlines, let subject, outlined.contains(where: { subject.masks[$0] != nil }) {
            legend += "; white outline: ground-truth objects"
        }
        lines.append(style.smallLine(legend))
        return lines
    }
}
