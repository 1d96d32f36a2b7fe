#pragma once
// The chat-history tests' manager is the shared fake of the whole manager-api.
#include "support/fake_manager_api.h"
