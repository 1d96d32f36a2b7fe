#include <sys/resource.h>

#include <gtest/gtest.h>

#include "core/fd_limit.h"

namespace {

TEST(FdLimit, RaisesTheSoftLimitToTheHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  // Start from a lower soft limit so the raise has something to do.
  if (before.rlim_cur > 256) {
    rlimit lower = before;
    lower.rlim_cur = 256;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
  }
  auto l = xz::core::raise_fd_limit();
  EXPECT_TRUE(l.error.empty()) << l.error;
  EXPECT_EQ(l.soft_before, std::min<std::uint64_t>(before.rlim_cur, 256));
  EXPECT_EQ(l.soft, l.hard);
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, l.soft);
  EXPECT_GT(l.open, 2u);  // at least stdin, stdout, stderr
}

TEST(FdLimit, CapacityLeavesRoomForTheProcessItself) {
  xz::core::FdLimit l;
  l.soft = 20000;
  l.open = 30;
  EXPECT_EQ(xz::core::connection_capacity(l, 70), 19900u);
  l.soft = 50;
  EXPECT_EQ(xz::core::connection_capacity(l, 70), 0u);
}

TEST(FdLimit, DescriptionNamesTheNumbers) {
  xz::core::FdLimit l;
  l.soft_before = 1024;
  l.soft = l.hard = 20000;
  l.open = 36;
  EXPECT_EQ(xz::core::describe(l),
            "file descriptors: soft limit 1024 -> 20000 (hard 20000), 36 open: room for about 19900 device connections");
  l.soft_before = 20000;
  l.error = "setrlimit failed";
  EXPECT_EQ(xz::core::describe(l),
            "file descriptors: soft limit 20000 (hard 20000), 36 open: room for about 19900 device connections "
            "(setrlimit failed)");
}

}  // namespace
