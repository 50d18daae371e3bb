#pragma once

#include <cstddef>
#include <iterator>
#include <string_view>

namespace thoth {

// The lines of a text, for a range-for: `for (std::string_view line : Lines(text))`. Each line
// is a view into `text` without its '\n' (a '\r' stays: the parsers that care trim it). A last
// line without '\n' is still a line; a final '\n' does not start an empty one: "a\nb" and
// "a\nb\n" both give "a", "b"; "a\n\nb" gives "a", "", "b"; "" gives nothing. A range-for, not
// a callback, so that a parser looking for one key can return from inside the loop. `text` must
// outlive the loop.
class Lines {
 public:
  // Just what a range-for needs.
  class Iterator {
   public:
    explicit Iterator(std::string_view text) : rest_(text) { ++*this; }

    std::string_view operator*() const { return line_; }
    Iterator& operator++() {
      if (rest_.empty()) {
        done_ = true;
        return *this;
      }
      std::size_t nl = rest_.find('\n');
      line_ = rest_.substr(0, nl);
      rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
      return *this;
    }
    bool operator==(std::default_sentinel_t /*end*/) const { return done_; }

   private:
    std::string_view rest_;  // the text after line_
    std::string_view line_;
    bool done_ = false;
  };

  explicit Lines(std::string_view text) : text_(text) {}
  Iterator begin() const { return Iterator(text_); }
  std::default_sentinel_t end() const { return {}; }

 private:
  std::string_view text_;
};

}  // namespace thoth
