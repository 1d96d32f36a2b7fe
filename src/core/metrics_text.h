#pragma once
// Reads a value back from the Prometheus text that Metrics::render() writes: for tools
// that scrape /metrics (the bench report) and for tests.
#include <optional>
#include <string_view>

namespace xz::core {

// The value of the sample line "<series> <value>", where series is a name with its
// labels exactly as rendered (`x_bucket{le="5"}`); nullopt if there is none.
std::optional<double> metric_sample(std::string_view text, std::string_view series);

}  // namespace xz::core
