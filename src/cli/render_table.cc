// Column alignment with the exact rules of Go's text/tabwriter, which argo
// uses for its node table. The rules matter for byte-identical output:
// a column's width is set per "column block" (a run of consecutive lines
// that all have a cell in that column), every tab-terminated cell is padded
// (so lines can end in spaces), and a line without tabs ends all blocks.
#include <algorithm>

#include "cli/render_internal.h"

namespace skiff::cli::render_detail {
namespace {

constexpr int kPadding = 2;

struct Cell {
  std::string text;
  int width = 0;  // code points
};
using Line = std::vector<Cell>;

int code_points(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Aligner {
 public:
  Aligner(const std::vector<Line>& lines, bool last_has_newline, std::string& out)
      : lines_(lines), last_has_newline_(last_has_newline), out_(out) {}

  void run() { format(0, static_cast<int>(lines_.size())); }

 private:
  // Fixes the width of the next column for each block of lines that has a
  // cell in it, then recurses to the columns right of it.
  void format(int line0, int line1) {
    size_t column = widths_.size();
    for (int current = line0; current < line1; ++current) {
      if (column + 1 >= lines_[current].size()) continue;
      write_lines(line0, current);
      line0 = current;
      int width = 0;
      for (; current < line1; ++current) {
        if (column + 1 >= lines_[current].size()) break;
        width = std::max(width, lines_[current][column].width + kPadding);
      }
      widths_.push_back(width);
      format(line0, current);
      widths_.pop_back();
      line0 = current;
    }
    write_lines(line0, line1);
  }

  void write_lines(int line0, int line1) {
    for (int i = line0; i < line1; ++i) {
      const Line& line = lines_[i];
      for (size_t j = 0; j < line.size(); ++j) {
        const Cell& cell = line[j];
        out_ += cell.text;
        if (j < widths_.size()) out_.append(static_cast<size_t>(widths_[j] - cell.width), ' ');
      }
      bool last = i + 1 == static_cast<int>(lines_.size());
      if (!last || last_has_newline_) out_ += '\n';
    }
  }

  const std::vector<Line>& lines_;
  bool last_has_newline_;
  std::string& out_;
  std::vector<int> widths_;
};

Line split_cells(std::string_view line) {
  Line cells;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    std::string_view piece = line.substr(start, tab == std::string_view::npos ? line.npos : tab - start);
    cells.push_back(Cell{std::string(piece), code_points(piece)});
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return cells;
}

}  // namespace

std::string tabwrite(const std::string& input) {
  std::string out;
  std::vector<Line> batch;
  auto flush = [&](bool last_has_newline) {
    Aligner(batch, last_has_newline, out).run();
    batch.clear();
  };
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    if (nl == std::string::npos) {
      std::string_view rest = std::string_view(input).substr(start);
      if (!rest.empty()) batch.push_back(split_cells(rest));
      flush(/*last_has_newline=*/rest.empty());
      break;
    }
    batch.push_back(split_cells(std::string_view(input).substr(start, nl - start)));
    // A line with a single cell cannot affect later alignment: argo's
    // tabwriter flushes there, which also ends every column block.
    if (batch.back().size() == 1) flush(true);
    start = nl + 1;
  }
  return out;
}

}  // namespace skiff::cli::render_detail
