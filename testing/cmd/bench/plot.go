package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotFigure draws a figure as PNG into dir: a bar per row, each labelled
// with its ratio to the anchor, and, for a figure with series, a second
// picture of cost per tunnel against the number of tunnels. It returns
// the files written.
func plotFigure(f *Figure, dir string) ([]string, error) {
	var files []string
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if len(f.Rows) > 0 {
		name := filepath.Join(dir, f.ID+".png")
		if err := plotBars(f, name); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	if len(f.Series) > 0 {
		name := filepath.Join(dir, f.ID+"-per-tunnel.png")
		if err := plotSeries(f, name); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	return files, nil
}

func plotBars(f *Figure, name string) error {
	p := plot.New()
	p.Title.Text = f.Title
	p.Y.Label.Text = f.Unit
	var vals plotter.Values
	var names []string
	for _, r := range f.Rows {
		vals = append(vals, r.Value)
		label := r.Code
		switch {
		case r.Code == f.Anchor:
			label += " (anchor)"
		case r.Ratio > 0:
			label += fmt.Sprintf(" %.2f×", r.Ratio)
		}
		names = append(names, label)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return err
	}
	bars.Color = color.RGBA{R: 60, G: 110, B: 180, A: 255}
	p.Add(bars)
	p.NominalX(names...)
	if f.Goal > 0 {
		// The goal as a line at goal × the anchor's value.
		for _, r := range f.Rows {
			if r.Code == f.Anchor && r.Value > 0 {
				g := plotter.NewFunction(func(float64) float64 { return f.Goal * r.Value })
				g.Color = color.RGBA{R: 200, A: 255}
				g.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				p.Add(g)
				p.Legend.Add(fmt.Sprintf("goal %.2g× %s", f.Goal, f.Anchor), g)
			}
		}
	}
	p.Legend.Top = true
	p.Title.TextStyle.Font.Size = vg.Points(10)
	w := max(7*vg.Inch, vg.Points(float64(140+90*len(f.Rows))))
	return p.Save(w, 4*vg.Inch, name)
}

func plotSeries(f *Figure, name string) error {
	p := plot.New()
	p.Title.Text = f.Title + ": per tunnel"
	p.X.Label.Text = f.SeriesX
	p.Y.Label.Text = f.SeriesY
	var args []any
	for _, s := range f.Series {
		var xy plotter.XYs
		for i := 0; i+1 < len(s.Points); i += 2 {
			xy = append(xy, plotter.XY{X: s.Points[i], Y: s.Points[i+1]})
		}
		args = append(args, s.Label, xy)
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	p.Legend.Top = true
	p.Title.TextStyle.Font.Size = vg.Points(10)
	return p.Save(7*vg.Inch, 4*vg.Inch, name)
}
