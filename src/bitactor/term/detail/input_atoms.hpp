// Atoms named by decoded input, counted against a budget. Internal to the term layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bitactor::term::detail {

enum class input_atom : std::uint8_t {
  ok,           ///< `index` names the atom (existing or created)
  invalid,      ///< not UTF-8 of at most 255 code points
  over_budget,  ///< new, and `budget` atoms have already been created from input
  table_full,   ///< new, and the table holds max_atoms
};

/// Interns `name` for the decoder: an existing atom always; a new one only while fewer than
/// `budget` atoms have been created this way in the whole program (atoms_created_by_decoding).
input_atom intern_input_atom(std::string_view name, std::size_t budget, std::uint32_t& index);

}  // namespace bitactor::term::detail
