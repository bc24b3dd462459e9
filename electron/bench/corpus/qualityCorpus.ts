/**
 * The conversation corpus of `emily bench quality`: what one user (Maya) told Emily over
 * several conversations, and questions she later asks, each with the statement that
 * answers it. Questions were written the way people ask, not copied from the statements:
 * some share words, some only word forms ("cook" / "cooking"), some only meaning.
 * Written by hand for this benchmark; the built-in embedder's lexicon was written before
 * it and is not tuned to it (see the report for the honest caveat).
 */
export interface QualityItem {
  /** What Maya said (the learning cycle turns it into a memory). */
  said: string;
  /** What she asks later. */
  asks: string[];
}

export const QUALITY_CORPUS: QualityItem[] = [
  { said: 'My sister Ana lives in Lisbon with her two kids.', asks: ['Where does my sister live?', "Who are Ana's children living with?"] },
  { said: 'I work as a pediatric nurse at Riverside Hospital.', asks: ["What's my job?", 'Where am I employed?'] },
  { said: 'I love cooking Thai green curry on Sunday evenings.', asks: ['What do I like to cook?', 'What dish do I make at the end of the weekend?'] },
  { said: "I can't stand the smell of coffee in the morning.", asks: ['Do I drink coffee?', 'Which morning drink do I dislike?'] },
  { said: 'My dog Bruno is a seven year old beagle who hates thunderstorms.', asks: ['What breed is my pet?', 'Is my puppy afraid of anything?'] },
  { said: 'I am allergic to peanuts and carry an epipen everywhere.', asks: ['Do I have any food allergies?', 'What medical thing do I always bring with me?'] },
  { said: 'I want to run the Berlin marathon next September.', asks: ['Which race am I training for?', 'What are my running goals?'] },
  { said: 'My husband Daniel is a high school chemistry teacher.', asks: ['What does my partner do for a living?', 'Who is Daniel?'] },
  { said: 'I grew up in a small village near Porto.', asks: ['Where did I spend my childhood?', 'Which town am I originally from?'] },
  { said: 'I have been learning Japanese for three years and I practice every morning.', asks: ['Which language am I studying?', 'How long have I studied Japanese?'] },
  { said: 'My favourite book is One Hundred Years of Solitude.', asks: ['What is my favorite novel?', 'Which books do I like reading?'] },
  { said: 'I get anxious before flying, so I usually take the train.', asks: ['Am I afraid of planes?', 'How do I prefer to travel?'] },
  { said: 'My best friend Chloe moved to Montreal last spring.', asks: ['Where does Chloe live now?', 'Which of my friends moved abroad?'] },
  { said: 'I play the cello in a community orchestra on Thursdays.', asks: ['What instrument do I play?', 'What music do I make during the week?'] },
  { said: 'I am vegetarian since 2015 but I still eat fish sometimes.', asks: ['Do I eat meat?', 'What is my diet?'] },
  { said: 'My mother Rosa is recovering from knee surgery.', asks: ['How is my mom doing?', 'Who had an operation recently?'] },
  { said: 'I hate waking up early on weekends.', asks: ['Do I like getting up early on Saturdays?', 'What do I dislike about mornings on my days off?'] },
  { said: 'We are saving money to buy a house with a garden.', asks: ['What are we saving for?', 'Do we plan to buy a home?'] },
  { said: 'My daughter Lea starts primary school in the autumn.', asks: ['When does my kid begin school?', 'How old is Lea, roughly?'] },
  { said: 'I enjoy hiking in the Dolomites every summer.', asks: ['Where do I go walking in the mountains?', 'What do I do on summer holidays?'] },
  { said: 'I studied marine biology at the University of Aveiro.', asks: ['What degree do I have?', 'Where did I go to university?'] },
  { said: 'My car is an old blue Volvo that keeps breaking down.', asks: ['What car do I drive?', 'Which vehicle gives me trouble?'] },
  { said: 'I prefer green tea with honey when I feel sick.', asks: ['What do I drink when I am ill?', 'How do I take my tea?'] },
  { said: "My grandfather Joaquim taught me to fish when I was six.", asks: ['Who taught me fishing?', 'What did I learn from my grandpa?'] },
  { said: 'I have trouble sleeping when I work night shifts.', asks: ['Do I have insomnia?', 'Why am I tired after nights at the hospital?'] },
  { said: 'I am terrified of spiders.', asks: ['What animals scare me?', 'Do I have any phobias?'] },
  { said: 'My birthday is on the 14th of March.', asks: ['When was I born?', 'When should we celebrate my birthday?'] },
  { said: 'I volunteer at the animal shelter every second Saturday.', asks: ['Where do I volunteer?', 'What do I do for the dogs and cats at the shelter?'] },
  { said: 'My brother Tiago works as a software developer in Amsterdam.', asks: ["What is my brother's job?", 'Who lives in Amsterdam?'] },
  { said: 'I love watching old Studio Ghibli films on rainy days.', asks: ['What movies do I enjoy?', 'What do I watch when the weather is bad?'] },
  { said: 'I plan to repaint the kitchen yellow this winter.', asks: ['What renovation am I planning?', 'Which colour will the kitchen be?'] },
  { said: 'My therapist suggested journaling to handle work stress.', asks: ['How do I deal with stress from my job?', 'What did my counsellor recommend?'] },
  { said: 'I once lived in Tokyo for a year as an exchange student.', asks: ['Have I ever lived in Japan?', 'Where did I do my student exchange?'] },
  { said: 'I dislike horror movies because they give me nightmares.', asks: ['Which films do I avoid?', 'Do scary movies bother me?'] },
  { said: 'Our cat Mochi only eats salmon flavoured food.', asks: ['What does our cat eat?', 'Who is Mochi?'] },
  { said: 'I grow tomatoes and basil on my balcony.', asks: ['What plants do I grow?', 'Do I have a garden at home?'] },
];

/** Something Maya asked, Emily's reply, and questions she later asks about that reply. */
export interface QualityReplyItem {
  asked: string;
  /** Emily's reply: the learning cycle keeps it as an L4 turn only (no memory comes from it). */
  replied: string;
  asks: string[];
}

/**
 * What Emily herself said, asked about later: the answer is an L4 turn, which recall finds
 * by full text only (turns carry no similarity), so these questions measure that path.
 */
export const QUALITY_REPLY_CORPUS: QualityReplyItem[] = [
  { asked: 'Any idea for a quick weeknight dinner?', replied: 'You could try a lemon and chickpea pasta; it takes about twenty minutes.', asks: ['What pasta did you suggest for dinner?', 'Which quick recipe with chickpeas did you recommend?'] },
  { asked: 'How should I prepare for the marathon taper?', replied: 'Cut your weekly mileage by about forty percent in the last three weeks and keep a few short fast runs.', asks: ['How much should I reduce my mileage before the race?', 'What did you tell me about tapering?'] },
  { asked: 'What can I do about my sore back after shifts?', replied: 'Gentle cat-cow stretches and a warm shower before bed often ease lower back stiffness.', asks: ['Which stretches did you suggest for my back?', 'What helps lower back stiffness, according to you?'] },
  { asked: 'Can you recommend a novel for the train?', replied: 'The Remains of the Day by Kazuo Ishiguro is short, quiet and beautiful.', asks: ['Which Ishiguro book did you recommend?', 'What novel did you suggest for my train trip?'] },
  { asked: 'How do I keep the basil from wilting?', replied: 'Pinch off the flower buds and water the basil in the morning, not at night.', asks: ['How do I stop my basil from flowering?', 'When should I water the herbs?'] },
  { asked: 'What should I pack for the Dolomites?', replied: 'Bring a light rain shell, sturdy boots with ankle support and a paper map of the trails.', asks: ['What boots should I take hiking?', 'Did you tell me to bring a map?'] },
  { asked: 'Any tips for remembering Japanese kanji?', replied: 'Try spaced repetition with Anki and learn the radicals before whole characters.', asks: ['Which flashcard app did you mention?', 'Should I learn radicals first?'] },
  { asked: 'How can I calm Bruno during storms?', replied: 'A snug thunder shirt and a covered crate in a quiet room can make a beagle feel safer.', asks: ['What can help my dog in thunderstorms?', 'Did you recommend a crate for Bruno?'] },
  { asked: 'What colour goes with a yellow kitchen?', replied: 'Pale grey cabinets or natural oak wood look lovely next to warm yellow walls.', asks: ['Which cabinet colour did you suggest with yellow?', 'Does oak go with the kitchen walls?'] },
  { asked: 'How do I fall asleep after a night shift?', replied: 'Use blackout curtains, keep the bedroom cool and avoid screens for an hour before sleeping.', asks: ['What did you say about curtains for daytime sleep?', 'How should I prepare the bedroom after nights?'] },
  { asked: 'What is a good gift for Ana?', replied: 'A ceramics workshop voucher in Lisbon would be a thoughtful present for your sister.', asks: ['What present did you suggest for my sister?', 'Which workshop could I give Ana?'] },
  { asked: 'How do I clean the Volvo battery terminals?', replied: 'Mix baking soda with a little water, scrub the terminals with an old toothbrush and rinse.', asks: ['How do I clean corrosion off the car battery?', 'What did you say to use with baking soda?'] },
];
