#pragma once
// The queue type for per-connection state. libstdc++'s std::deque allocates ~576 bytes
// even when empty; this one allocates nothing until the first element, which matters
// when thousands of connections sit idle with every queue empty.
#include <boost/container/deque.hpp>

namespace xz::core {

template <class T>
using LazyDeque = boost::container::deque<T>;

}  // namespace xz::core
