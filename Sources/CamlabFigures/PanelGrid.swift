import CamlabImaging

/// The layout shared by most figures: a title, subtitle lines, a grid of panels with column
/// headers, row labels and captions under each panel, an optional shared colorbar, and notes at
/// the bottom. Every size is measured before anything is drawn, so the canvas is made just large
/// enough and no text overlaps a panel or leaves the canvas.
struct PanelGrid {
    struct Panel {
        var picture: RGBImage
        /// Lines under the panel (e.g. "p = 0.97"), centred.
        var caption: [TextLine] = []
    }

    var title: [TextLine] = []
    var subtitle: [TextLine] = []
    var columnHeaders: [[TextLine]] = []
    var rowLabels: [[TextLine]] = []
    var rows: [[Panel]]
    var colorbar: Colorbar?
    var notes: [TextLine] = []
    let style: FigureStyle

    func render() -> Canvas {
        precondition(!rows.isEmpty && !rows[0].isEmpty, "a panel grid needs at least one panel")
        let (margin, gap, spacing) = (style.margin, style.gap, style.lineSpacing)
        let columns = rows.map(\.count).max()!
        // Each column as wide as its widest panel, header or caption; each row as tall as its
        // tallest panel plus its tallest caption.
        let columnWidths = (0..<columns).map { column -> Int in
            let panels = rows.compactMap { column < $0.count ? $0[column] : nil }
            let header = column < columnHeaders.count ? style.size(of: columnHeaders[column]).width : 0
            return max(header, panels.map { max($0.picture.width, style.size(of: $0.caption).width) }.max() ?? 0)
        }
        let pictureHeights = rows.map { $0.map(\.picture.height).max()! }
        let captionHeights = rows.map { $0.map { style.size(of: $0.caption).height }.max()! }
        let rowHeights = zip(pictureHeights, captionHeights).map { $0 + ($1 > 0 ? spacing + $1 : 0) }
        let headerHeight = columnHeaders.map { style.size(of: $0).height }.max() ?? 0
        let labelWidth = rowLabels.map { style.size(of: $0).width }.max() ?? 0

        let titleSize = style.size(of: title), subtitleSize = style.size(of: subtitle), notesSize = style.size(of: notes)
        let gridWidth = columnWidths.reduce(0, +) + (columns - 1) * gap
        let colorbarWidth = colorbar.map { gap + $0.width } ?? 0
        let contentWidth = (labelWidth > 0 ? labelWidth + gap : 0) + gridWidth + colorbarWidth
        let width = max(contentWidth, titleSize.width, subtitleSize.width, notesSize.width) + 2 * margin
        // A wide title centres the grid under it rather than leaving it hanging on the left.
        let contentLeft = margin + (width - 2 * margin - contentWidth) / 2
        let gridLeft = contentLeft + (labelWidth > 0 ? labelWidth + gap : 0)
        let columnLefts = columnWidths.indices.map { gridLeft + columnWidths[..<$0].reduce(0, +) + $0 * gap }

        var top = margin
        let titleTop = top
        if !title.isEmpty { top += titleSize.height + spacing }
        let subtitleTop = top
        if !subtitle.isEmpty { top += subtitleSize.height }
        if !title.isEmpty || !subtitle.isEmpty { top += gap }
        let headerTop = top
        if headerHeight > 0 { top += headerHeight + spacing + 2 }
        // The colorbar's end labels reach half a line above its top and below its bottom.
        let overhang = colorbar?.overhang ?? 0
        if headerHeight < overhang { top += overhang - headerHeight }
        let gridTop = top
        let rowTops = rowHeights.indices.map { gridTop + rowHeights[..<$0].reduce(0, +) + $0 * gap }
        let gridHeight = rowHeights.reduce(0, +) + (rows.count - 1) * gap
        top += gridHeight + max(overhang - captionHeights.last!, 0)
        let notesTop = top + gap
        let height = (notes.isEmpty ? top : notesTop + notesSize.height) + margin

        let canvas = Canvas(width: width, height: height, typeface: style.typeface)
        canvas.draw(title, x: margin, top: titleTop, spacing: spacing)
        canvas.draw(subtitle, x: margin, top: subtitleTop, spacing: spacing)
        for (column, header) in columnHeaders.enumerated() where column < columns {
            // Headers of different heights share their bottom line, just above the panels.
            let offset = headerHeight - style.size(of: header).height
            canvas.draw(header, x: columnLefts[column] + columnWidths[column] / 2, top: headerTop + offset,
                        alignment: .center, spacing: spacing)
        }
        for (rowIndex, row) in rows.enumerated() {
            let rowTop = rowTops[rowIndex]
            if rowIndex < rowLabels.count {
                let labelHeight = style.size(of: rowLabels[rowIndex]).height
                canvas.draw(rowLabels[rowIndex], x: contentLeft,
                            top: rowTop + max(0, (pictureHeights[rowIndex] - labelHeight) / 2), spacing: spacing)
            }
            for (column, panel) in row.enumerated() {
                let centre = columnLefts[column] + columnWidths[column] / 2
                let pictureTop = rowTop + (pictureHeights[rowIndex] - panel.picture.height) / 2
                canvas.draw(panel.picture, x: centre - panel.picture.width / 2, y: pictureTop)
                canvas.draw(panel.caption, x: centre, top: pictureTop + panel.picture.height + spacing,
                            alignment: .center, spacing: spacing)
            }
        }
        if let colorbar {
            // Beside the panels of every row, not their captions.
            // One row: beside its last panel (the map the bar explains). Several: spanning all rows.
            let last = rows[0].last!.picture
            let barTop = rows.count == 1 ? gridTop + (pictureHeights[0] - last.height) / 2 : gridTop
            let barHeight = rows.count == 1 ? last.height : gridHeight - captionHeights.last! - (captionHeights.last! > 0 ? spacing : 0)
            colorbar.draw(on: canvas, x: gridLeft + gridWidth + gap, y: barTop, height: barHeight)
        }
        canvas.draw(notes, x: margin, top: notesTop, spacing: spacing)
        return canvas
    }
}
