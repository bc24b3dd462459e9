/**
 * Emily's cognition: the public surface (see README.md next to this file).
 * Everything takes the core's user door (`emily`) and a user id; nothing else opens
 * connections. Results are plain JSON-able objects the UI can show as they are.
 */
export { defaultEmbedder, defaultExtractor, modelFor, resolveEmbedder, type CognitionOptions, type UserDoor } from './context.js';
export { RulesExtractor, type Candidate, type CandidateExtractor, type ExtractInput, type MemoryKind, type MemorySource } from './extractor.js';
export { ModelTurnReader, rulesReader, type Reaction, type TurnReader, type TurnReading } from './modelReader.js';
export { DEFAULT_FRAMEWORK, loadFramework, type Framework, type FrameworkParams } from './framework.js';
export { learnFromExchange, type ExchangeInput, type LearnResult } from './learning.js';
export type { CandidateDecision, EdgeKind } from './promotion.js';
export type { FollowUpResult, Feedback } from './outcomes.js';
export { giveFeedback, type FeedbackInput, type FeedbackResult } from './feedback.js';
export { recall, recallInContext, retrieve, type Provenance, type RecallOptions, type RecallResponse, type RecallResult, type ScoreComponents } from './retrieval.js';
export { recordUses, type UseInput } from './uses.js';
export { WorkingMemories, WorkingMemory, type WorkingItem, type WorkingMemoryOptions, type WorkingTurn } from './workingMemory.js';
export { archiveMemory, deleteMemory, editMemory, getMemory, listMemories, pinMemory, tierBalance, type ListOptions, type ListResult } from './manage.js';
export type { MemoryDetail, MemoryEdge, MemoryMetrics, MemorySummary, OutcomeEvent, TierBalance, TurnSummary } from './memoryTypes.js';
export { METRIC_NAMES } from './memoryTypes.js';
export { MAX_MEMORY_CHARS, MAX_QUERY_CHARS, MAX_TURN_CHARS } from './text.js';
export { checkDrift, driftReport, listSelfCorrections, selfCorrect, type DriftCheck, type SelfCorrectionReport } from './selfCorrection.js';
export { DRIFT_METRICS, type Baseline, type DriftMetric, type DriftReport, type Means } from './drift.js';
export { consolidateBacklog, relinkOrphans } from './consolidation.js';
export { checkEmbeddings, reembedMissing, setEmbeddingModel, type EmbeddingStatus } from './embeddingSwitch.js';
export { readEmbeddingConfig, embedderFromConfig, parseEmbeddingConfig } from '../embeddings/config.js';
export { HashEmbedder, HASH_EMBEDDER_ID } from '../embeddings/hashEmbedder.js';
export { OpenAIEmbedder, type OpenAIEmbedderOptions } from '../embeddings/openaiEmbedder.js';
export { GgufEmbedder } from '../embeddings/ggufEmbedder.js';
export { listModels, type EmbeddingModel } from '../embeddings/registry.js';
export type { Embedder, EmbeddingConfig } from '../embeddings/types.js';
