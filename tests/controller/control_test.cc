// Commands as records and the mailbox of a local run: what a server and
// the CLI rely on, tested without a workflow.
#include "controller/control.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace skiff::controller {
namespace {

class MailboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-run-XXXXXX";
    run_dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(run_dir_); }
  std::string run_dir_;
};

TEST(CommandTest, RecordsRoundTrip) {
  Command command;
  command.verb = Command::Verb::kSetNode;
  command.node_field_selector = "displayName=approve";
  command.phase = "Succeeded";
  command.message = "ok";
  command.output_parameters = {{"answer", "yes"}, {"note", ""}};
  auto back = command_from_json(to_json(command));
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->verb, Command::Verb::kSetNode);
  EXPECT_EQ(back->node_field_selector, "displayName=approve");
  EXPECT_EQ(back->phase, "Succeeded");
  EXPECT_EQ(back->message, "ok");
  EXPECT_EQ(back->output_parameters, command.output_parameters);
  EXPECT_EQ(to_json(command)["verb"], "set");

  auto bad = command_from_json(nlohmann::json{{"verb", "retry"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "unknown command verb 'retry'");
}

TEST(CommandTest, AcceptedMessagesAreArgos) {
  Command c;
  c.verb = Command::Verb::kSuspend;
  EXPECT_EQ(accepted_message(c, "wf"), "workflow wf suspended");
  c.verb = Command::Verb::kTerminate;
  EXPECT_EQ(accepted_message(c, "wf"), "workflow wf terminated");
  c.verb = Command::Verb::kSetNode;
  EXPECT_EQ(accepted_message(c, "wf"), "workflow values set");
}

TEST_F(MailboxTest, CommandsArriveInOrderAndAreAnswered) {
  EXPECT_EQ(run_state(run_dir_), RunState::kAbsent);
  CommandMailbox mailbox(run_dir_);
  ASSERT_TRUE(mailbox.open());
  EXPECT_EQ(run_state(run_dir_), RunState::kRunning);
  // One run at a time holds the run directory.
  CommandMailbox second(run_dir_);
  EXPECT_FALSE(second.open());

  Command suspend;
  suspend.verb = Command::Verb::kSuspend;
  Command resume;
  resume.verb = Command::Verb::kResume;
  auto first_id = post(run_dir_, suspend);
  auto second_id = post(run_dir_, resume);
  ASSERT_TRUE(first_id && second_id);

  auto received = mailbox.take();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].id, *first_id);
  EXPECT_EQ(received[0].command->verb, Command::Verb::kSuspend);
  EXPECT_EQ(received[1].command->verb, Command::Verb::kResume);
  EXPECT_TRUE(mailbox.take().empty()) << "a record is taken once";

  mailbox.reply(*first_id, Status::ok());
  mailbox.reply(*second_id, invalid_argument("no suspend nodes"));
  EXPECT_TRUE(await_reply(run_dir_, *first_id, std::chrono::seconds(30)));
  Status refused = await_reply(run_dir_, *second_id, std::chrono::seconds(30));
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.message(), "no suspend nodes");
}

TEST_F(MailboxTest, AClientLearnsWhenTheRunEndsWithoutAnswering) {
  std::string id;
  {
    CommandMailbox mailbox(run_dir_);
    ASSERT_TRUE(mailbox.open());
    Command stop;
    stop.verb = Command::Verb::kStop;
    id = *post(run_dir_, stop);
  }
  Status outcome = await_reply(run_dir_, id, std::chrono::seconds(30));
  EXPECT_FALSE(outcome);
  EXPECT_EQ(outcome.message(), "the run ended before it took the command");
}

TEST_F(MailboxTest, ANewRunDropsRecordsOfAnEarlierOne) {
  {
    CommandMailbox earlier(run_dir_);
    ASSERT_TRUE(earlier.open());
    Command stop;
    stop.verb = Command::Verb::kStop;
    ASSERT_TRUE(post(run_dir_, stop));
  }
  CommandMailbox later(run_dir_);
  ASSERT_TRUE(later.open());
  EXPECT_TRUE(later.take().empty());
}

}  // namespace
}  // namespace skiff::controller
